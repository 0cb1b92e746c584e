import { BatchWriteCommand, type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { createProjections } from '../functions/consumers/projections.ts';
import type { StoredItem } from '../functions/platform/store/cursor.ts';
import { queryAll } from '../functions/platform/store/outcomes.ts';
import { tableQuery } from '../functions/platform/store/query.ts';
import { keys } from '../functions/platform/table.ts';
import { lambdaContext } from './api-gateway.ts';
import { insertRecord } from './stream.ts';

type Projections = ReturnType<typeof createProjections>;

/** The projections rebuilt from their sources, and nothing else: search keys, reviews due, outcome counters. */
const isRebuilt = ({ pk, sk }: StoredItem): boolean =>
  String(pk).startsWith(keys.outcomeOrganisations) ||
  (String(pk).startsWith('PATIENT#') &&
    (String(sk).startsWith(keys.searchPrefix) || String(sk).startsWith(keys.reviewPrefix)));

/**
 * `npm run rebuild-projections`: the search keys, reviews due and outcome counters made again from
 * the profiles and revisions, by the projections consumer itself (each profile, then each patient's
 * revisions in order, as the stream delivers them), after deleting the ones there are. The worklists
 * and care-team links are brought up to date the same way (they are idempotent; nothing of theirs is
 * deleted). An offline admin tool: it scans the table (keys only) to find the patients, which no
 * request ever does, and should run while nothing else writes.
 */
export const rebuildProjections = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  projections: Projections,
): Promise<{ patients: number; revisions: number; deleted: number }> => {
  const patients: string[] = [];
  const stale: StoredItem[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        ProjectionExpression: 'pk, sk',
        ConsistentRead: true,
        ...(ExclusiveStartKey && { ExclusiveStartKey }),
      }),
    );
    for (const item of page.Items ?? []) {
      if (item.sk === keys.profile) patients.push(item.pk as string);
      else if (isRebuilt(item)) stale.push({ pk: item.pk, sk: item.sk });
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);

  for (let start = 0; start < stale.length; start += 25) {
    let requests = stale.slice(start, start + 25).map((Key) => ({ DeleteRequest: { Key } }));
    while (requests.length > 0) {
      const { UnprocessedItems } = await client.send(
        new BatchWriteCommand({ RequestItems: { [tableName]: requests } }),
      );
      requests = (UnprocessedItems?.[tableName] ?? []) as typeof requests;
    }
  }

  const query = tableQuery(client, tableName);
  let sequence = 0;
  let revisions = 0;
  for (const pk of patients) {
    const items = await queryAll(query, {
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ConsistentRead: true,
    });
    const replayed = items.filter((item) => item.type === 'patient' || item.type === 'revision');
    revisions += replayed.length - 1;
    // PROFILE sorts after REV#: the enrolment goes first, as it was written first.
    replayed.sort((a, b) =>
      a.type === 'patient' ? -1 : b.type === 'patient' ? 1 : a.sk.localeCompare(b.sk),
    );
    for (const item of replayed) {
      sequence += 1;
      await projections(
        { Records: [insertRecord(item, `rebuild-${sequence}`, sequence)] },
        lambdaContext('rebuildProjections'),
      );
    }
  }
  return { patients: patients.length, revisions, deleted: stale.length };
};
