import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import type { Plan } from '../../domain/plan.ts';
import { lazyHandler, revisions, worklists } from '../platform/composition-root.ts';
import { logger } from '../platform/logger.ts';
import type { Plans, Worklists } from '../platform/ports.ts';

/**
 * The stream consumer: new revisions, and new enrolments (the care team before any plan);
 * everything else on the stream is not its business.
 * Log lines of its invocation (its own and its modules') carry the request id.
 */
export const createProjections =
  (ports: { plans: Pick<Plans, 'revision'>; worklists: Pick<Worklists, 'project' | 'projectEnrolment'> }) =>
  async (event: DynamoDBStreamEvent, context: Context): Promise<void> => {
    logger.addContext(context);
    for (const record of event.Records) {
      const image = record.dynamodb?.NewImage;
      if (record.eventName !== 'INSERT' || !image) continue;
      const item = unmarshall(image as Record<string, AttributeValue>);
      if (item.type === 'patient') {
        await ports.worklists.projectEnrolment(item.profile.nhsNumber, item.careTeam, item.enrolledAt);
        continue;
      }
      if (item.type !== 'revision') continue;
      const plan = item.plan as Plan;
      const previous =
        plan.revision > 1 ? await ports.plans.revision(plan.nhsNumber, plan.revision - 1) : null;
      await ports.worklists.project(plan, previous?.plan ?? null, item.at as string);
    }
  };

export const handler = lazyHandler(() => createProjections({ plans: revisions(), worklists: worklists() }));
