import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

import { dynamoEndpoint, tableName } from './config.ts';

/**
 * One document client per process, made on first use so tests and the local runtime can set
 * the environment first. `DYNAMODB_ENDPOINT` is for the embedded server only.
 */
let raw: DynamoDBClient | undefined;
let client: DynamoDBDocumentClient | undefined;

export const dynamoClient = (): DynamoDBClient => {
  raw ??= new DynamoDBClient({
    ...(dynamoEndpoint() && { endpoint: dynamoEndpoint() }),
    maxAttempts: 3,
  });
  return raw;
};

export const documentClient = (): DynamoDBDocumentClient => {
  client ??= DynamoDBDocumentClient.from(dynamoClient(), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return client;
};

export { tableName };
