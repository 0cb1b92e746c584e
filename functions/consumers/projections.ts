import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import type { DomainEvent } from '../../domain/events.ts';
import type { Plan } from '../../domain/plan.ts';
import {
  lazyHandler,
  outcomes,
  patientIndex,
  patients,
  reviews,
  revisions,
  worklists,
} from '../platform/composition-root.ts';
import { logger } from '../platform/logger.ts';
import type { PatientRecord, Plans, Worklists } from '../platform/ports.ts';
import { type InsightPorts, projectEnrolledPatient, projectRevisionInsights } from './insights.ts';

/**
 * The stream consumer: new revisions, and new enrolments (the care team before any plan, and the
 * search keys, insights.ts);
 * everything else on the stream is not its business.
 * Log lines of its invocation (its own and its modules') carry the request id.
 */
export const createProjections =
  (ports: {
    plans: Pick<Plans, 'revision'>;
    worklists: Pick<Worklists, 'project' | 'projectEnrolment'>;
    insights: InsightPorts;
  }) =>
  async (event: DynamoDBStreamEvent, context: Context): Promise<void> => {
    logger.addContext(context);
    for (const record of event.Records) {
      const image = record.dynamodb?.NewImage;
      if (record.eventName !== 'INSERT' || !image) continue;
      const item = unmarshall(image as Record<string, AttributeValue>);
      if (item.type === 'patient') {
        const enrolled = item as PatientRecord;
        await ports.worklists.projectEnrolment(
          enrolled.profile.nhsNumber,
          enrolled.careTeam,
          enrolled.enrolledAt,
        );
        await projectEnrolledPatient(ports.insights, enrolled);
        continue;
      }
      if (item.type !== 'revision') continue;
      const plan = item.plan as Plan;
      const previous =
        plan.revision > 1 ? await ports.plans.revision(plan.nhsNumber, plan.revision - 1) : null;
      await ports.worklists.project(plan, previous?.plan ?? null, item.at as string);
      await projectRevisionInsights(ports.insights, {
        plan,
        previous: previous?.plan ?? null,
        events: (item.events ?? []) as DomainEvent[],
        at: item.at as string,
      });
    }
  };

export const handler = lazyHandler(() =>
  createProjections({
    plans: revisions(),
    worklists: worklists(),
    insights: {
      patients: patients(),
      patientIndex: patientIndex(),
      reviews: reviews(),
      outcomes: outcomes(),
    },
  }),
);
