import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type Plan, planStatus } from '../../../domain/plan.ts';
import type { OrganisationPatient, Worklists } from '../ports.ts';
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

/** The review date in force: the published version's, else the draft's. */
const reviewDateOf = (plan: Plan): string | null =>
  (plan.published?.sections.review ?? plan.draft?.sections.review)?.date ?? null;

/**
 * A care-team link only over an older one: a link without a revision (written before links kept
 * one) is older than any. The enrolment's links are revision 0.
 */
const newerLink = (revision: number) => ({
  ConditionExpression: 'attribute_not_exists(#revision) OR #revision < :rev',
  ExpressionAttributeNames: { '#revision': 'revision' },
  ExpressionAttributeValues: { ':rev': revision },
});

/** `PATIENT#<nhs>` / `TEAM#<ods>`: in the `byOrganisation` index under `ORG#<ods>` while a member. */
const memberLink = (
  nhs: string,
  ods: string,
  link: Omit<OrganisationPatient, 'nhsNumber'>,
  revision: number,
  since: string,
) => ({
  pk: keys.patient(nhs),
  sk: keys.team(ods),
  type: 'careTeam',
  state: 'member',
  nhsNumber: nhs,
  organisation: ods,
  ...link,
  revision,
  since,
  [table.teamIndex.partitionKey]: keys.organisation(ods),
  [table.teamIndex.sortKey]: keys.patient(nhs),
});

const settle = async (writes: Promise<unknown>[]): Promise<void> => {
  const results = await Promise.allSettled(writes);
  const failed = results.find(
    (r): r is PromiseRejectedResult =>
      r.status === 'rejected' && r.reason?.name !== 'ConditionalCheckFailedException',
  );
  if (failed) throw failed.reason;
};

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
    // Every member's link carries the plan's status and review date as of this revision.
    const link = { status: planStatus(plan), reviewDate: reviewDateOf(plan) };
    for (const ods of plan.careTeam) {
      const since = plan.careTeamDetails?.[ods]?.since ?? plan.createdAt;
      writes.push(
        client.send(
          new PutCommand({
            TableName,
            Item: memberLink(nhs, ods, link, plan.revision, since),
            ...newerLink(plan.revision),
          }),
        ),
      );
    }
    // A removed organisation's link stays as a tombstone, out of the index, keeping the revision:
    // a late redelivery of an older revision cannot put the patient back on its list.
    for (const ods of previous?.careTeam.filter((o) => !plan.careTeam.includes(o)) ?? []) {
      writes.push(
        client.send(
          new PutCommand({
            TableName,
            Item: {
              pk: keys.patient(nhs),
              sk: keys.team(ods),
              type: 'careTeam',
              state: 'left',
              revision: plan.revision,
              [table.timeToLive]: Math.floor(Date.parse(at) / 1000) + tombstoneSeconds,
            },
            ...newerLink(plan.revision),
          }),
        ),
      );
    }
    await settle(writes);
  },

  async projectEnrolment(nhsNumber, careTeam, at) {
    await settle(
      careTeam.map((ods) =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: memberLink(nhsNumber, ods, { status: 'enrolled', reviewDate: null }, 0, at),
            // Revision 0: never over a link any revision made.
            ConditionExpression: 'attribute_not_exists(sk)',
          }),
        ),
      ),
    );
  },
  ...dynamoWorklistReader(client, tableName),
});

/** The worklists as read, without the projection writer: for the functions that only read them. */
export const dynamoWorklistReader = (
  client: DynamoDBDocumentClient,
  tableName: string,
): Pick<Worklists, 'awaitingRatification' | 'patientsOf'> => {
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

    /** One Query of the `byOrganisation` index: only members' links are in it, tombstones are not. */
    async patientsOf(organisation, page) {
      const index = table.teamIndex;
      const after = decodeCursor(page.next, {
        pk: startsWith('PATIENT#'),
        sk: startsWith('TEAM#'),
        [index.sortKey]: startsWith('PATIENT#'),
      });
      return pageQuery(
        query,
        {
          IndexName: index.name,
          KeyConditionExpression: '#gpk = :gpk',
          ExpressionAttributeNames: { '#gpk': index.partitionKey },
          ExpressionAttributeValues: { ':gpk': keys.organisation(organisation) },
          ...(after && {
            ExclusiveStartKey: { ...after, [index.partitionKey]: keys.organisation(organisation) },
          }),
        },
        page.limit,
        (item) => ({ pk: item.pk, sk: item.sk, [index.sortKey]: item[index.sortKey] }),
        (item): OrganisationPatient => ({
          nhsNumber: item.nhsNumber ?? String(item.pk).slice('PATIENT#'.length),
          // A link projected before links carried a status reads as enrolled until the plan's next revision.
          status: item.status ?? 'enrolled',
          reviewDate: item.reviewDate ?? null,
        }),
      );
    },
  };
};
