import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
// @ts-expect-error dynalite ships no type declarations; typed below for the part we use.
import untypedDynalite from 'dynalite';
import { table } from '../functions/platform/table.ts';

type DynaliteOptions = {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
};
const dynalite: (options: DynaliteOptions) => Server = untypedDynalite;

export type LocalDynamo = { endpoint: string; close(): Promise<void> };

/** Starts the DynamoDB protocol server on 127.0.0.1: LevelDB at `path`, else in memory; port 0 picks a free one. */
export async function startDynamo(options: { path?: string; port?: number } = {}): Promise<LocalDynamo> {
  // Zero delays: tables are usable as soon as created, as tests and a fresh `npm start` expect.
  const server = dynalite({
    ...(options.path && { path: options.path }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    // dynalite's close also closes LevelDB, so the same path can be opened again afterwards.
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

/** SDK client settings for the local server: any region and credentials will do, but the SDK wants some. */
export const localDynamoClientConfig = (endpoint: string) => ({
  endpoint,
  region: 'eu-west-2',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

/** Creates the table as functions/platform/table.ts describes it, if absent, and waits until it is ACTIVE. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { partitionKey, sortKey, versionIndex, teamIndex, searchIndex } = table;
  const globalIndexes = [teamIndex, searchIndex];
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          partitionKey,
          sortKey,
          versionIndex.sortKey,
          ...globalIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
        ].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: partitionKey, KeyType: 'HASH' },
          { AttributeName: sortKey, KeyType: 'RANGE' },
        ],
        LocalSecondaryIndexes: [
          {
            IndexName: versionIndex.name,
            KeySchema: [
              { AttributeName: partitionKey, KeyType: 'HASH' },
              { AttributeName: versionIndex.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        GlobalSecondaryIndexes: globalIndexes.map((index) => ({
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }

  // Even with createTableMs 0, dynalite answers CREATING first and flips to ACTIVE on a timer.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { Table: t } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    // An LSI cannot be added later: a table persisted before an index existed must be recreated.
    const indexes = [...(t?.LocalSecondaryIndexes ?? []), ...(t?.GlobalSecondaryIndexes ?? [])];
    const missing = [versionIndex.name, ...globalIndexes.map((index) => index.name)].filter(
      (name) => !indexes.some((i) => i.IndexName === name),
    );
    if (missing.length)
      throw new Error(
        `table ${tableName} lacks index ${missing.join(', ')}: delete the local data to recreate it`,
      );
    if (t?.TableStatus === 'ACTIVE' && t.GlobalSecondaryIndexes?.every((i) => i.IndexStatus === 'ACTIVE'))
      return;
    if (Date.now() > deadline) throw new Error(`table ${tableName} did not become ACTIVE`);
    await sleep(20);
  }
}
