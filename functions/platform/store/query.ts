import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Query } from './cursor.ts';

/** A query of the service's table. */
export const tableQuery =
  (client: DynamoDBDocumentClient, tableName: string): Query =>
  (input) =>
    client.send(new QueryCommand({ TableName: tableName, ...input }));

/** A conditional write refused: the item it must not overwrite is there. */
export const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException;
