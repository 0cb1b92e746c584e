import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../table.ts';
import type { Query } from './cursor.ts';

/** A query of the service's table. */
export const tableQuery =
  (client: DynamoDBDocumentClient, tableName: string): Query =>
  (input) =>
    client.send(new QueryCommand({ TableName: tableName, ...input }));

/** A conditional write refused: the item it must not overwrite is there. */
export const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException;

/** The newest `REV#` item of a partition (a plan, a registry entry): its current state, read consistently. */
export const newestRevision = async (query: Query, pk: string) => {
  const { Items } = await query({
    KeyConditionExpression: 'pk = :pk and begins_with(sk, :rev)',
    ExpressionAttributeValues: { ':pk': pk, ':rev': keys.revisionPrefix },
    ScanIndexForward: false,
    Limit: 1,
    ConsistentRead: true,
  });
  return Items?.[0];
};
