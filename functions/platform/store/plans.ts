import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type Plan, type PublishedVersion, planStatus } from '../../../domain/plan.ts';
import { PlanRevisionConflict, type Plans, PlanTooLarge, type RevisionRecord } from '../ports.ts';
import { keys, table } from '../table.ts';
import { decodeCursor, pageQuery, startsWith } from './cursor.ts';
import { isConditionFailure, newestRevision, tableQuery } from './query.ts';

/** DynamoDB's limit is 400 KB an item; keep well clear so a plan always fits with its events. */
const maxRevisionBytes = 300_000;

const revisionItem = ({ publishedVersion, ...record }: RevisionRecord) => {
  const { plan } = record;
  return {
    pk: keys.patient(plan.nhsNumber),
    sk: keys.revision(plan.revision),
    type: 'revision',
    revision: plan.revision,
    status: planStatus(plan),
    ...record,
    // Only a revision that published a version is in the sparse version index.
    ...(publishedVersion !== undefined && { [table.versionIndex.sortKey]: keys.version(publishedVersion) }),
  };
};

/**
 * `PATIENT#<nhs>` / `REV#<n>`, versions by the sparse `byVersion` index. Without the paged list
 * of versions, for the functions that never list (their bundles carry no cursor code).
 */
export const dynamoRevisions = (
  client: DynamoDBDocumentClient,
  tableName: string,
): Omit<Plans, 'versions'> => {
  const query = tableQuery(client, tableName);
  return {
    async current(nhsNumber) {
      return ((await newestRevision(query, keys.patient(nhsNumber)))?.plan as Plan | undefined) ?? null;
    },

    async revision(nhsNumber, revision) {
      const { Item } = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: keys.patient(nhsNumber), sk: keys.revision(revision) },
          ConsistentRead: true,
        }),
      );
      return (Item as RevisionRecord | undefined) ?? null;
    },

    /**
     * Every command is this one conditional put of revision n+1: the optimistic-concurrency
     * check, the version history and the outbox at once (docs/design.md "Data").
     */
    async append(record) {
      const item = revisionItem(record);
      if (Buffer.byteLength(JSON.stringify(item)) > maxRevisionBytes) {
        throw new PlanTooLarge('the plan is too large to store');
      }
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(sk)',
          }),
        );
      } catch (error) {
        if (isConditionFailure(error)) throw new PlanRevisionConflict('another change was saved first');
        throw error;
      }
    },

    async version(nhsNumber, version) {
      const { Items } = await query({
        IndexName: table.versionIndex.name,
        KeyConditionExpression: 'pk = :pk and versionSk = :v',
        ExpressionAttributeValues: { ':pk': keys.patient(nhsNumber), ':v': keys.version(version) },
      });
      return (Items?.[0]?.plan.published as PublishedVersion | undefined) ?? null;
    },
  };
};

export const dynamoPlans = (client: DynamoDBDocumentClient, tableName: string): Plans => {
  const query = tableQuery(client, tableName);
  return {
    ...dynamoRevisions(client, tableName),
    async versions(nhsNumber, page) {
      const after = decodeCursor(page.next, {
        sk: startsWith(keys.revisionPrefix),
        versionSk: startsWith(keys.version(0).slice(0, 8)),
      });
      return pageQuery(
        query,
        {
          IndexName: table.versionIndex.name,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.patient(nhsNumber) },
          ScanIndexForward: false,
          ...(after && { ExclusiveStartKey: { pk: keys.patient(nhsNumber), ...after } }),
        },
        page.limit,
        (item) => ({ sk: item.sk, versionSk: item.versionSk }),
        (item) => item.plan.published as PublishedVersion,
      );
    },
  };
};
