import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Plan } from '../../../domain/plan.ts';
import type { Worklists } from '../ports.ts';
import { keys, table } from '../table.ts';
import { decodeCursor, pageQuery, startsWith } from './cursor.ts';
import { tableQuery } from './query.ts';

/** Where the plan waits for ratification: nowhere once it is withdrawn or closed. */
const waitingAt = (plan: Plan): string | undefined =>
  plan.draft?.state === 'submitted' && !plan.withdrawal && !plan.death
    ? plan.draft.submittedTo?.organisation
    : undefined;

/** Stream records are redelivered for at most 24 hours; a week is ample. */
const tombstoneSeconds = 7 * 24 * 60 * 60;

/**
 * `ORG#<ods>` / `AWAITING#<nhs>` (the ratification worklist) and `PATIENT#<nhs>` / `TEAM#<ods>`
 * (each organisation's patients, by the `byOrganisation` index): kept from the revisions by the
 * table's stream, idempotent under redelivery, and rebuildable from the revisions if ever lost.
 */
export const dynamoWorklists = (client: DynamoDBDocumentClient, tableName: string): Worklists => ({
  async project(plan, previous, at) {
    const TableName = tableName;
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
  },
  ...dynamoWorklistReader(client, tableName),
});

/** The worklists as read, without the projection writer: for the functions that only read them. */
export const dynamoWorklistReader = (
  client: DynamoDBDocumentClient,
  tableName: string,
): Pick<Worklists, 'awaitingRatification'> => {
  const query = tableQuery(client, tableName);
  return {
    async awaitingRatification(organisation, page) {
      const after = decodeCursor(page.next, { sk: startsWith(keys.awaitingPrefix) });
      return pageQuery(
        query,
        {
          KeyConditionExpression: 'pk = :pk and begins_with(sk, :prefix)',
          // Cleared entries stay as tombstones (see project above); the worklist shows the waiting ones.
          FilterExpression: '#state = :awaiting',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':pk': keys.organisation(organisation),
            ':prefix': keys.awaitingPrefix,
            ':awaiting': 'awaiting',
          },
          ...(after && { ExclusiveStartKey: { pk: keys.organisation(organisation), sk: after.sk } }),
        },
        page.limit,
        (item) => ({ sk: item.sk }),
        (item) => ({
          nhsNumber: item.nhsNumber,
          submittedAt: item.submittedAt,
          submittedBy: item.submittedBy,
          ...(item.clinician && { clinician: item.clinician }),
        }),
      );
    },
  };
};
