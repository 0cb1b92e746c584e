import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { isValidNhsNumber } from '../domain/nhs-number.ts';
import { counterNames } from '../domain/outcomes.ts';
import { keys, table as tableKeys } from '../functions/platform/table.ts';
import { call, type Handler, publishedPlan, type startHandlers } from './setup.ts';
import { median, percentile, round, time } from './stats.ts';

type Env = Awaited<ReturnType<typeof startHandlers>>;

const families = ['Byron', 'Byrne', 'Byers', 'Smith', 'Smyth', 'Jones', 'Patel', 'Khan', 'Brown', 'Taylor'];
const givens = ['Ada', 'John', 'Mary', 'Priya', 'Mohammed', 'Grace', 'Alan', 'Ruth'];

const nhsNumbers = function* (): Generator<string> {
  for (let n = 200_000; ; n += 1) {
    for (let check = 0; check <= 9; check += 1) {
      const candidate = `999${String(n).padStart(6, '0')}${check}`;
      if (isValidNhsNumber(candidate)) yield candidate;
    }
  }
};

/** Times each case, interleaved, after a warm-up: median and p99 in ms. */
const measure = async (cases: Record<string, () => Promise<unknown>>, iterations: number) => {
  const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, [] as number[]]));
  for (let i = 0; i < 50; i += 1) for (const run of Object.values(cases)) await run();
  for (let i = 0; i < iterations; i += 1) {
    for (const [name, run] of Object.entries(cases)) samples[name]?.push(await time(run));
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, values]) => [
      name,
      { p50: round(median(values)), p99: round(percentile(values, 99)) },
    ]),
  );
};

/**
 * GET /patients through its whole handler (token, middleware, the index Query, each match's
 * profile and plan, its access record) against the same index Query made directly with the SDK,
 * among 5,000 patients' search keys; and GET /reports/outcomes for one practice and for 200.
 */
export const searchLatency = async (env: Env, iterations: number) => {
  const load = async (entry: string): Promise<Handler> =>
    (await import(`../functions/http/${entry}.ts`)).handler;
  const search = await load('patient-search');
  const reports = await load('reports');
  const { dynamoPatientIndex } = await import('../functions/platform/store/patient-index.ts');
  const { dynamoOutcomes } = await import('../functions/platform/store/outcomes.ts');
  const { documentClient } = await import('../functions/platform/dynamo.ts');
  const index = dynamoPatientIndex(documentClient(), env.tableName);

  // The patient searched for, enrolled and published, and 5,000 others' search keys around them.
  const numbers = nhsNumbers();
  const target = numbers.next().value as string;
  await publishedPlan(env, target);
  const { patients } = await import('../functions/platform/composition-root.ts');
  const enrolled = await patients().get(target);
  if (!enrolled) throw new Error('the target patient was not enrolled');
  await index.index(enrolled);
  for (let i = 0; i < 5000; i += 25) {
    await Promise.all(
      Array.from({ length: 25 }, (_, j) => {
        const n = i + j;
        const nhs = numbers.next().value as string;
        const birthDate = `19${30 + (n % 30)}-${String(1 + (n % 12)).padStart(2, '0')}-${String(1 + (n % 28)).padStart(2, '0')}`;
        return index.index({
          profile: {
            nhsNumber: nhs,
            name: {
              given: givens[n % givens.length] as string,
              family: families[n % families.length] as string,
            },
            birthDate,
            postcode: 'SW1A 1AA',
            gpPractice: 'A81001',
          },
          careTeam: ['A81001'],
          enrolledAt: new Date().toISOString(),
        });
      }),
    );
  }

  const paramedic = env.token({ role: 'paramedic', org: 'RRU', sub: 'crew-1' });
  const searchFor = (query: Record<string, string>) => () =>
    call(search, { method: 'GET', path: '/patients', token: paramedic, query });
  const bare = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: env.endpoint,
      region: 'eu-west-2',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  const { name, partitionKey, sortKey } = tableKeys.searchIndex;
  const bareQuery = () =>
    bare.send(
      new QueryCommand({
        TableName: env.tableName,
        IndexName: name,
        // The index Query an exact search for Byron, born 1941-02-11, makes.
        KeyConditionExpression: '#pk = :pk and begins_with(#sk, :family)',
        ExpressionAttributeNames: { '#pk': partitionKey, '#sk': sortKey },
        ExpressionAttributeValues: { ':pk': keys.bornOn('1941-02-11'), ':family': 'byron#' },
      }),
    );
  const found = JSON.parse((await searchFor({ family: 'byr*', birthDate: '1941-02-11' })()).body);
  if (found.items.length !== 1) throw new Error(`the search found ${found.items.length}, not 1`);

  // Outcome counters: 24 months for each of 200 practices.
  const outcomes = dynamoOutcomes(documentClient(), env.tableName);
  for (let p = 0; p < 200; p += 1) {
    const organisation = `P${String(p).padStart(5, '0')}`;
    await Promise.all(
      Array.from({ length: 24 }, (_, m) =>
        outcomes.count({
          eventId: `bench-${p}-${m}`,
          organisation,
          month: `${2025 + Math.floor(m / 12)}-${String(1 + (m % 12)).padStart(2, '0')}`,
          counts: Object.fromEntries(counterNames.map((c) => [c, 1])),
        }),
      ),
    );
  }
  const report = (token: string) => () =>
    call(reports, {
      method: 'GET',
      path: '/reports/outcomes',
      token,
      query: { from: '2026-01', to: '2026-12' },
    });
  const practice = env.token({ role: 'gp', org: 'P00007' });
  const commissioner = env.token({ role: 'commissioner', org: 'QKK' });

  const latency = await measure(
    {
      'search, exact (byron, 1941-02-11)': searchFor({ family: 'byron', birthDate: '1941-02-11' }),
      'search, wildcard (byr*, 1941-02-11)': searchFor({ family: 'byr*', birthDate: '1941-02-11' }),
      'search, fuzzy (Biron, Ada, 1941-02-11)': searchFor({
        family: 'Biron',
        given: 'Ada',
        birthDate: '1941-02-11',
        fuzzy: 'true',
      }),
      'bare index Query (SDK)': bareQuery,
      'outcome report, one practice (12 months)': report(practice),
    },
    iterations,
  );
  const all = await measure({ 'outcome report, 200 practices (12 months)': report(commissioner) }, 20);
  bare.destroy();
  return { ...latency, ...all };
};
