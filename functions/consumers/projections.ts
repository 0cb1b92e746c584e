import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import type { Plan } from '../../domain/plan.ts';
import { documentClient, planRepository, tableName } from '../platform/dynamo.ts';
import { logger } from '../platform/logger.ts';
import { keys, table } from '../platform/table.ts';

/** Where the plan waits for ratification: nowhere once it is withdrawn or closed. */
const waitingAt = (plan: Plan): string | undefined =>
  plan.draft?.state === 'submitted' && !plan.withdrawal && !plan.death
    ? plan.draft.submittedTo?.organisation
    : undefined;

/** Stream records are redelivered for at most 24 hours; a week is ample. */
const tombstoneSeconds = 7 * 24 * 60 * 60;

/**
 * Worklist and care-team indexes, kept from the revisions by the table's stream: eventually
 * consistent, idempotent under redelivery, and rebuildable from the revisions if ever lost.
 */
export const projectRevision = async (plan: Plan, previous: Plan | null, at: string): Promise<void> => {
  const client = documentClient();
  const TableName = tableName();
  const nhs = plan.nhsNumber;
  const awaitingAt = waitingAt(plan);
  const wasAwaitingAt = previous ? waitingAt(previous) : undefined;
  const writes: Promise<unknown>[] = [];
  // Older revisions never overwrite newer ones, so a redelivered record changes nothing.
  const newer = {
    ConditionExpression: 'attribute_not_exists(sk) OR revision < :rev',
    ExpressionAttributeValues: { ':rev': plan.revision },
  };
  if (awaitingAt && plan.draft) {
    writes.push(
      client.send(
        new PutCommand({
          TableName,
          Item: {
            pk: keys.organisation(awaitingAt),
            sk: keys.awaitingRatification(nhs),
            type: 'awaitingRatification',
            state: 'awaiting',
            revision: plan.revision,
            nhsNumber: nhs,
            submittedAt: plan.draft.submittedAt,
            submittedBy: plan.draft.submittedBy,
            ...(plan.draft.submittedTo?.clinician && { clinician: plan.draft.submittedTo.clinician }),
          },
          ...newer,
        }),
      ),
    );
  }
  if (wasAwaitingAt && wasAwaitingAt !== awaitingAt) {
    // A tombstone, not a delete: it keeps the revision, so a late redelivery of the submission
    // cannot put the plan back on the worklist. It expires once no redelivery can come.
    writes.push(
      client.send(
        new PutCommand({
          TableName,
          Item: {
            pk: keys.organisation(wasAwaitingAt),
            sk: keys.awaitingRatification(nhs),
            type: 'awaitingRatification',
            state: 'cleared',
            revision: plan.revision,
            [table.timeToLive]: Math.floor(Date.parse(at) / 1000) + tombstoneSeconds,
          },
          ...newer,
        }),
      ),
    );
  }
  for (const ods of plan.careTeam.filter((o) => !previous?.careTeam.includes(o))) {
    writes.push(
      client.send(
        new PutCommand({
          TableName,
          Item: {
            pk: keys.patient(nhs),
            sk: keys.team(ods),
            type: 'careTeam',
            [table.teamIndex.partitionKey]: keys.organisation(ods),
            [table.teamIndex.sortKey]: keys.patient(nhs),
            since: at,
          },
        }),
      ),
    );
  }
  const results = await Promise.allSettled(writes);
  const failed = results.find(
    (r): r is PromiseRejectedResult =>
      r.status === 'rejected' && r.reason?.name !== 'ConditionalCheckFailedException',
  );
  if (failed) throw failed.reason;
};

/**
 * The stream consumer: new revision items only; everything else on the stream is not its business.
 * Log lines of its invocation (its own and its modules') carry the request id.
 */
export const handler = async (event: DynamoDBStreamEvent, context: Context): Promise<void> => {
  logger.addContext(context);
  for (const record of event.Records) {
    const image = record.dynamodb?.NewImage;
    if (record.eventName !== 'INSERT' || !image) continue;
    const item = unmarshall(image as Record<string, AttributeValue>);
    if (item.type !== 'revision') continue;
    const plan = item.plan as Plan;
    const previous =
      plan.revision > 1 ? await planRepository().revision(plan.nhsNumber, plan.revision - 1) : null;
    await projectRevision(plan, previous?.plan ?? null, item.at as string);
  }
};
