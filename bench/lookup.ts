import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { newId } from '../functions/platform/ids.ts';
import { keys } from '../functions/platform/table.ts';
import { call, publishedPlan, type startHandlers } from './setup.ts';
import { median, percentile, round, time } from './stats.ts';

type Env = Awaited<ReturnType<typeof startHandlers>>;

/**
 * The crisis summary through the whole handler (token, middleware, permission, read, access
 * record) next to the same read and the same write made directly with the SDK, interleaved so
 * both see the same data store at the same moment.
 */
export const lookupOverhead = async (env: Env, iterations: number) => {
  const nhs = '9434765919';
  await publishedPlan(env, nhs);
  const paramedic = env.token({ role: 'paramedic', org: 'RRU', sub: 'crew-1' });
  const summary = () =>
    call(env.handlers.summary, {
      method: 'GET',
      path: `/patients/${nhs}/plan/summary`,
      token: paramedic,
      query: { purpose: '999 call' },
    });

  // The access record the handler writes, captured once, so the bare write is the same item.
  const { documentClient } = await import('../functions/platform/dynamo.ts');
  let accessItem: Record<string, unknown> | undefined;
  documentClient().middlewareStack.add(
    (next) => async (args) => {
      const item = (args.input as { Item?: Record<string, unknown> }).Item;
      if (item?.type === 'access') accessItem = item;
      return next(args);
    },
    { step: 'initialize', name: 'benchCapture' },
  );
  await summary();
  if (!accessItem) throw new Error('the summary wrote no access record');
  const template = accessItem;

  const bare = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: env.endpoint,
      region: 'eu-west-2',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 3,
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const bareLookup = async () => {
    await bare.send(
      new QueryCommand({
        TableName: env.tableName,
        KeyConditionExpression: 'pk = :pk and begins_with(sk, :rev)',
        ExpressionAttributeValues: { ':pk': keys.patient(nhs), ':rev': keys.revisionPrefix },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const at = new Date().toISOString();
    const id = newId();
    await bare.send(
      new PutCommand({
        TableName: env.tableName,
        Item: { ...template, sk: keys.access(at, id), id, at },
        ConditionExpression: 'attribute_not_exists(sk)',
      }),
    );
  };

  for (let i = 0; i < 200; i += 1) {
    await summary();
    await bareLookup();
  }
  const full: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < iterations; i += 1) {
    // Alternate which goes first, so neither always runs on a warmer store.
    if (i % 2 === 0) {
      full.push(await time(summary));
      floor.push(await time(bareLookup));
    } else {
      floor.push(await time(bareLookup));
      full.push(await time(summary));
    }
  }
  bare.destroy();
  return {
    iterations,
    summaryMedianMs: round(median(full)),
    summaryP99Ms: round(percentile(full, 99)),
    bareMedianMs: round(median(floor)),
    bareP99Ms: round(percentile(floor, 99)),
    lookupOverheadRatio: round(median(full) / median(floor)),
  };
};
