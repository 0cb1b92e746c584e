import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { keys, table } from '../../functions/platform/table.ts';
import { ensureTable, localDynamoClientConfig, startDynamo } from '../../local/dynamo.ts';

const tableName = 'ucp-test';
const pk = keys.patient('9434765919');

describe('local DynamoDB (dynalite)', () => {
  it('creates the table idempotently, round-trips items and queries both indexes', async () => {
    const dynamo = await startDynamo();
    const client = new DynamoDBClient(localDynamoClientConfig(dynamo.endpoint));
    const doc = DynamoDBDocumentClient.from(client);
    try {
      await ensureTable(client, tableName);
      await ensureTable(client, tableName);

      const rev1 = {
        pk,
        sk: keys.revision(1),
        versionSk: keys.version(1),
        type: 'revision',
        status: 'published',
      };
      const rev2 = { pk, sk: keys.revision(2), type: 'revision', status: 'draft' };
      const create = (item: Record<string, unknown>) =>
        doc.send(
          new PutCommand({
            TableName: tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(sk)',
          }),
        );
      await create(rev1);
      await create(rev2);
      await expect(create(rev2)).rejects.toBeInstanceOf(ConditionalCheckFailedException);

      const got = await doc.send(new GetCommand({ TableName: tableName, Key: { pk, sk: keys.revision(1) } }));
      expect(got.Item).toEqual(rev1);

      const newest = await doc.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :rev)',
          ExpressionAttributeValues: { ':pk': pk, ':rev': keys.revisionPrefix },
          ScanIndexForward: false,
          Limit: 1,
        }),
      );
      expect(newest.Items).toEqual([rev2]);

      // The version index is sparse: only the revision that published a version is in it.
      const versions = await doc.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: table.versionIndex.name,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
        }),
      );
      expect(versions.Items).toEqual([rev1]);

      const team = {
        pk,
        sk: keys.team('A81001'),
        gsi1pk: keys.organisation('A81001'),
        gsi1sk: pk,
        type: 'team',
      };
      await create(team);
      const patients = await doc.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: table.teamIndex.name,
          KeyConditionExpression: 'gsi1pk = :org',
          ExpressionAttributeValues: { ':org': keys.organisation('A81001') },
        }),
      );
      expect(patients.Items).toEqual([team]);
    } finally {
      client.destroy();
      await dynamo.close();
    }
  });

  it('persists to a path across restarts', async () => {
    const path = mkdtempSync(join(tmpdir(), 'ucp-dynamo-'));
    const item = { pk, sk: keys.profile, type: 'patient', gpPractice: 'A81001' };
    try {
      for (const step of ['write', 'read'] as const) {
        const dynamo = await startDynamo({ path });
        const client = new DynamoDBClient(localDynamoClientConfig(dynamo.endpoint));
        const doc = DynamoDBDocumentClient.from(client);
        try {
          await ensureTable(client, tableName);
          if (step === 'write') await doc.send(new PutCommand({ TableName: tableName, Item: item }));
          else {
            const got = await doc.send(
              new GetCommand({ TableName: tableName, Key: { pk, sk: keys.profile } }),
            );
            expect(got.Item).toEqual(item);
          }
        } finally {
          client.destroy();
          await dynamo.close();
        }
      }
    } finally {
      rmSync(path, { recursive: true, force: true });
    }
  });

  it('refuses a table left over without the indexes, rather than failing later', async () => {
    const dynamo = await startDynamo();
    const client = new DynamoDBClient(localDynamoClientConfig(dynamo.endpoint));
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
        }),
      );
      await expect(ensureTable(client, tableName)).rejects.toThrow(/lacks index byVersion, byOrganisation/);
    } finally {
      client.destroy();
      await dynamo.close();
    }
  });
});
