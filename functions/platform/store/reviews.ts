import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { monthsBetween } from '../../../domain/calendar.ts';
import type { Plan } from '../../../domain/plan.ts';
import { type ReviewDue, type ReviewKind, reviewsDue } from '../../../domain/reviews.ts';
import type { Reviews } from '../ports.ts';
import { keys, table } from '../table.ts';
import { decodeCursor, pageQuery, startsWith } from './cursor.ts';
import { queryAll } from './outcomes.ts';
import { tableQuery } from './query.ts';

/** Stream records are redelivered for at most 24 hours; a week is ample for a tombstone. */
const tombstoneSeconds = 7 * 24 * 60 * 60;

const indexKey = (review: ReviewDue, nhs: string) => `${review.date}#${nhs}#${review.kind}`;

/** The entries a revision keeps: one for the plan, one per care-team organisation, by sort key. */
const entriesOf = (plan: Plan | null) => {
  const entries = new Map<string, { review: ReviewDue; organisation?: string; careTeam: string[] }>();
  if (!plan) return entries;
  for (const review of reviewsDue(plan)) {
    entries.set(keys.review(review.kind), { review, careTeam: plan.careTeam });
    for (const ods of plan.careTeam)
      entries.set(keys.reviewAt(review.kind, ods), { review, organisation: ods, careTeam: plan.careTeam });
  }
  return entries;
};

/**
 * `PATIENT#<nhs>` / `REVIEW#<kind>` (in the `byOrganisation` index under `REVIEWDUE#<month>`, for
 * the reminders) and `REVIEW#<kind>#ORG#<ods>` (under `REVIEWS#<ods>`, each organisation's
 * worklist), both sorted by `<date>#<nhs>#<kind>`: kept from the revisions by the projections,
 * each write conditional on an older revision, and a review no longer due left as a tombstone
 * outside the index (so a late redelivery cannot bring it back) that expires.
 */
export const dynamoReviews = (client: DynamoDBDocumentClient, tableName: string): Reviews => {
  const query = tableQuery(client, tableName);
  const index = table.teamIndex;
  return {
    async project(plan, previous, at) {
      const nhs = plan.nhsNumber;
      const now = entriesOf(plan);
      const before = entriesOf(previous);
      // Each item written only over an older revision's, so a late redelivery changes nothing.
      const put = (sk: string, fields: Record<string, unknown>) =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: { pk: keys.patient(nhs), sk, type: 'review', revision: plan.revision, ...fields },
            ConditionExpression: 'attribute_not_exists(sk) OR revision < :rev',
            ExpressionAttributeValues: { ':rev': plan.revision },
          }),
        );
      const writes: Promise<unknown>[] = [];
      for (const [sk, { review, organisation, careTeam }] of now) {
        const was = before.get(sk);
        const unchanged =
          was?.review.date === review.date &&
          (organisation !== undefined || was.careTeam.join() === careTeam.join());
        if (unchanged) continue;
        writes.push(
          put(sk, {
            nhsNumber: nhs,
            kind: review.kind,
            reviewDate: review.date,
            ...(organisation === undefined && { careTeam }),
            [index.partitionKey]: organisation
              ? keys.reviewsOf(organisation)
              : keys.reviewsDueIn(review.date.slice(0, 7)),
            [index.sortKey]: indexKey(review, nhs),
          }),
        );
      }
      for (const sk of before.keys()) {
        if (now.has(sk)) continue;
        writes.push(
          put(sk, {
            state: 'cleared',
            [table.timeToLive]: Math.floor(Date.parse(at) / 1000) + tombstoneSeconds,
          }),
        );
      }
      const results = await Promise.allSettled(writes);
      const failed = results.find(
        (r): r is PromiseRejectedResult =>
          r.status === 'rejected' && r.reason?.name !== 'ConditionalCheckFailedException',
      );
      if (failed) throw failed.reason;
    },

    async worklist(organisation, until, today, page) {
      const after = decodeCursor(page.next, {
        pk: startsWith('PATIENT#'),
        sk: startsWith(keys.reviewPrefix),
        [index.sortKey]: (v) => /^\d{4}-\d{2}-\d{2}#/.test(v),
      });
      return pageQuery(
        query,
        {
          IndexName: index.name,
          KeyConditionExpression: '#gpk = :gpk and #gsk <= :until',
          ExpressionAttributeNames: { '#gpk': index.partitionKey, '#gsk': index.sortKey },
          ExpressionAttributeValues: { ':gpk': keys.reviewsOf(organisation), ':until': `${until}#~` },
          ...(after && {
            ExclusiveStartKey: { ...after, [index.partitionKey]: keys.reviewsOf(organisation) },
          }),
        },
        page.limit,
        (item) => ({ pk: item.pk, sk: item.sk, [index.sortKey]: item[index.sortKey] }),
        (item) => ({
          nhsNumber: item.nhsNumber,
          reviewDate: item.reviewDate,
          kind: item.kind as ReviewKind,
          overdue: item.reviewDate < today,
        }),
      );
    },

    async dueBetween(from, until) {
      const months = monthsBetween(from.slice(0, 7), until.slice(0, 7));
      const found = await Promise.all(
        months.map((month) =>
          queryAll(query, {
            IndexName: index.name,
            KeyConditionExpression: '#gpk = :gpk and #gsk BETWEEN :from AND :until',
            ExpressionAttributeNames: { '#gpk': index.partitionKey, '#gsk': index.sortKey },
            ExpressionAttributeValues: {
              ':gpk': keys.reviewsDueIn(month),
              ':from': from,
              ':until': `${until}#~`,
            },
          }),
        ),
      );
      return found.flat().map((item) => ({
        nhsNumber: item.nhsNumber,
        kind: item.kind,
        reviewDate: item.reviewDate,
        careTeam: item.careTeam,
      }));
    },
  };
};
