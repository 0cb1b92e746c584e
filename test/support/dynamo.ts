import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTable, type LocalDynamo, localDynamoClientConfig, startDynamo } from '../../local/dynamo.ts';

/**
 * A real DynamoDB protocol server (dynalite, in memory) with the service's table, and a
 * document client that records every operation it sends on the wire (`PutItem`, `Query`, ...).
 */
export type TestDynamo = {
  dynamo: LocalDynamo;
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Operations sent since the last `operations.length = 0`, in order, e.g. `['Query', 'PutItem']`. */
  operations: string[];
  close(): Promise<void>;
};

export const startTestDynamo = async (tableName = 'ucp-test'): Promise<TestDynamo> => {
  const dynamo = await startDynamo();
  const client = new DynamoDBClient(localDynamoClientConfig(dynamo.endpoint));
  await ensureTable(client, tableName);
  const operations: string[] = [];
  // After serialisation, before retries: one entry per send, named by the wire operation.
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      const target = request.headers?.['x-amz-target'] ?? '';
      operations.push(target.replace(/^DynamoDB_\d+\./, ''));
      return next(args);
    },
    { step: 'build', name: 'recordOperations' },
  );
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    dynamo,
    client,
    doc,
    tableName,
    operations,
    close: async () => {
      client.destroy();
      await dynamo.close();
    },
  };
};
