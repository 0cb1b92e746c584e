import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { newId } from '../functions/platform/ids.ts';
import { keys } from '../functions/platform/table.ts';
import { localDynamoClientConfig, startDynamo } from '../local/dynamo.ts';

/**
 * The floor of the HTTP benchmark: over the data `npm start` left in DATA_DIR, a plain node:http
 * server that makes the crisis lookup's two calls and nothing else: the newest revision (Query),
 * the access record (PutItem, the item the summary writes), then the published plan as JSON. No
 * token, no middleware, no domain rules, no event pipeline: what is left is the data store and
 * HTTP, as `npm start` has them (dynalite in the same process).
 */
const dynamo = await startDynamo({ path: join(process.env.DATA_DIR ?? '.data', 'dynamodb') });
const client = DynamoDBDocumentClient.from(new DynamoDBClient(localDynamoClientConfig(dynamo.endpoint)), {
  marshallOptions: { removeUndefinedValues: true },
});
const tableName = 'urgent-care-plans';
const reader = { id: 'bench-crew', role: 'paramedic', organisation: 'RRU' } as const;

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const nhsNumber = /^\/patients\/(\d{10})\/plan\/summary$/.exec(url.pathname)?.[1];
  if (!nhsNumber) {
    res.writeHead(404).end();
    return;
  }
  const { Items } = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk and begins_with(sk, :rev)',
      ExpressionAttributeValues: { ':pk': keys.patient(nhsNumber), ':rev': keys.revisionPrefix },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  const at = new Date().toISOString();
  const id = newId();
  const purpose = url.searchParams.get('purpose');
  const access = { nhsNumber, reader, action: 'read_summary', purpose, breakGlass: false };
  await client.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        pk: keys.patient(nhsNumber),
        sk: keys.access(at, id),
        type: 'access',
        nhsNumber,
        id,
        at,
        actor: reader,
        action: access.action,
        purpose,
        breakGlass: false,
        events: [{ id: newId(), type: 'CarePlan.Accessed', at, detail: { ...access, accessId: id } }],
      },
      ConditionExpression: 'attribute_not_exists(sk)',
    }),
  );
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(Items?.[0]?.plan?.published ?? null));
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`bare server on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  client.destroy();
  void dynamo.close().then(() => process.exit(0));
});
