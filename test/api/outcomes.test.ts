import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DeleteCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../functions/platform/dynamo.ts';
import { lambdaContext } from '../../local/api-gateway.ts';
import { type Api, expectProblem, startApi } from './harness.ts';

/**
 * The outcome report over HTTP, for the data `npm run seed` loads: the figures a hand count of the
 * seed gives, stated here without the code that counts them; the same report after every stream
 * record is delivered twice more in shuffled order, and after `npm run rebuild-projections`.
 */

let api: Api;
let seeded: Record<string, string>;
const run = promisify(execFile);

/** The UK date, and the month before, as the seed dates its deaths. */
const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date());
const thisMonth = today.slice(0, 7);
const lastMonth = (() => {
  const [year, month] = thisMonth.split('-').map(Number) as [number, number];
  return month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, '0')}`;
})();

beforeAll(async () => {
  api = await startApi();
  const { stdout } = await run(process.execPath, ['local/seed.ts'], {
    env: { ...process.env, BASE_URL: api.url, DATA_DIR: api.dataDir },
  });
  seeded = Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .slice(0, -1)
      .map((line) => line.split(/\s+/) as [string, string]),
  );
  await api.runtime.settled();
}, 120_000);
afterAll(async () => {
  await api?.close();
});

const gp = () => api.token({ role: 'gp', org: 'A81001' });
const commissioner = () => api.token({ role: 'commissioner', org: 'QKK' });
const report = (token: string, query = `from=${lastMonth}&to=${thisMonth}`, headers = {}) =>
  api.call('GET', `/reports/outcomes?${query}`, { token, headers });

/**
 * By hand, from local/seed.ts, all at GP practice A81001: five plans are published this month
 * (Lovelace, Berners-Lee, Seacole, Nightingale, Franklin), all with a DNACPR decision and all but
 * Franklin's with a ceiling of treatment; Seacole's is withdrawn and Nightingale's and Franklin's
 * closed by their deaths, so two stay live. Nightingale died at home, where she wished, on the
 * 10th of last month; Franklin died in hospital today, having wished to die at home.
 */
const expectedRows = [
  {
    month: lastMonth,
    organisation: 'A81001',
    livePlans: 0,
    plansPublished: 0,
    deaths: 1,
    deathsWithPreferredPlace: 1,
    diedInPreferredPlace: 1,
    diedInPreferredPlaceShare: 1,
    deathsInHospital: 0,
    plansWithCprDecision: 0,
    plansWithCeilingOfTreatment: 0,
    preferredPlaceShareWithCeiling: 1,
    preferredPlaceShareWithoutCeiling: null,
  },
  {
    month: thisMonth,
    organisation: 'A81001',
    livePlans: 2,
    plansPublished: 5,
    deaths: 1,
    deathsWithPreferredPlace: 1,
    diedInPreferredPlace: 0,
    diedInPreferredPlaceShare: 0,
    deathsInHospital: 1,
    plansWithCprDecision: 2,
    plansWithCeilingOfTreatment: 2,
    preferredPlaceShareWithCeiling: null,
    preferredPlaceShareWithoutCeiling: 0,
  },
];
const expectedTotals = {
  livePlans: 2,
  plansPublished: 5,
  deaths: 2,
  deathsWithPreferredPlace: 2,
  diedInPreferredPlace: 1,
  diedInPreferredPlaceShare: 0.5,
  deathsInHospital: 1,
  plansWithCprDecision: 2,
  plansWithCeilingOfTreatment: 2,
  preferredPlaceShareWithCeiling: 1,
  preferredPlaceShareWithoutCeiling: 0,
};

describe('the outcome report of the seed', () => {
  it('gives the hand-counted figures to the GP practice, for its own organisation', async () => {
    const res = await report(gp());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual({ from: lastMonth, to: thisMonth, rows: expectedRows, totals: expectedTotals });
  });

  it('gives the same to a commissioner, for every organisation or for one', async () => {
    expect((await report(commissioner())).body.rows).toEqual(expectedRows);
    const one = await report(commissioner(), `from=${lastMonth}&to=${thisMonth}&organisation=A81001`);
    expect(one.body).toEqual({ from: lastMonth, to: thisMonth, rows: expectedRows, totals: expectedTotals });
  });

  it('carries the live plans forward into a later month, and counts nothing before the first', async () => {
    const later = await report(gp(), `from=${thisMonth}&to=${thisMonth}`);
    expect(later.body.rows).toEqual([expectedRows[1]]);
    const before = await report(gp(), 'from=2020-01&to=2020-02');
    expect(
      before.body.rows.map((r: { livePlans: number; deaths: number }) => [r.livePlans, r.deaths]),
    ).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  it('holds no patient identifier', async () => {
    const text = (await report(commissioner())).text;
    for (const nhs of Object.keys(seeded)) expect(text).not.toContain(nhs);
    for (const name of ['Lovelace', 'Nightingale', 'Franklin']) expect(text).not.toContain(name);
  });

  it('is CSV with Accept: text/csv (RFC 4180: one header line with the same names, CRLF)', async () => {
    const res = await report(gp(), undefined, { Accept: 'text/csv' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = res.text.split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines[0]?.split(',')).toEqual(['month', 'organisation', ...Object.keys(expectedTotals)]);
    expect(lines.slice(1, -1)).toEqual([
      `${lastMonth},A81001,0,0,1,1,1,1,0,0,0,1,`,
      `${thisMonth},A81001,2,5,1,1,0,0,1,2,2,,0`,
    ]);
    const json = await report(gp(), undefined, { Accept: 'text/csv;q=0.5, application/json' });
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expectProblem(await report(gp(), undefined, { Accept: 'image/png' }), 406);
  });
});

describe('who may read it', () => {
  it('clinicians their own organisation only; commissioners any; nobody else', async () => {
    const nurse = api.token({ role: 'nurse', org: 'A81001' });
    expect((await report(nurse)).status).toBe(200);
    const otherGp = api.token({ role: 'gp', org: 'B82002' });
    const theirs = await report(otherGp);
    expect(theirs.status).toBe(200);
    expect(theirs.body.rows.every((r: { organisation: string }) => r.organisation === 'B82002')).toBe(true);
    expect(theirs.body.totals.deaths).toBe(0);
    expectProblem(await report(otherGp, `from=${lastMonth}&to=${thisMonth}&organisation=A81001`), 403);
    for (const token of [
      api.token({ role: 'paramedic', org: 'RRU' }),
      api.token({ role: 'care_home', org: 'A81001' }),
      api.token({ role: 'privacy_officer', org: 'A81001' }),
      api.token({ role: 'admin' }),
      api.token({ role: 'patient', nhs: Object.keys(seeded)[0] as string }),
    ]) {
      expectProblem(await report(token), 403);
    }
  });

  it('refuses a malformed or too long period with 400', async () => {
    for (const query of [
      'from=2026-13&to=2026-12',
      'to=2026-12',
      'from=2026-11&to=2026-10',
      'from=2000-01&to=2026-12',
      `from=${thisMonth}&to=${thisMonth}&organisation=a81001`,
    ]) {
      expectProblem(await report(commissioner(), query), 400);
    }
  });
});

describe('counted exactly once', () => {
  const tableName = () => api.table().name;

  /** Every item the table's stream delivered to the projections: the profiles and revisions. */
  const streamedItems = async () => {
    const client = documentClient();
    const items: Record<string, unknown>[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: tableName(), ExclusiveStartKey }));
      items.push(...(page.Items ?? []).filter((i) => i.type === 'patient' || i.type === 'revision'));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  };

  it('every stream record delivered twice more, in shuffled order, leaves the report unchanged', async () => {
    const before = (await report(commissioner())).body;
    const { handler } = await import('../../functions/consumers/projections.ts');
    const items = await streamedItems();
    expect(items.length).toBeGreaterThan(20);
    const records: DynamoDBRecord[] = [...items, ...items].map((item, i) => ({
      eventID: `replay-${i}`,
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      dynamodb: { NewImage: marshall(item, { removeUndefinedValues: true }) as never },
    }));
    // A seeded shuffle (Fisher-Yates on a linear congruential generator): the same order every run.
    let seed = 12345;
    for (let i = records.length - 1; i > 0; i -= 1) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const j = seed % (i + 1);
      [records[i], records[j]] = [records[j] as DynamoDBRecord, records[i] as DynamoDBRecord];
    }
    for (let i = 0; i < records.length; i += 7) {
      await handler({ Records: records.slice(i, i + 7) }, lambdaContext('projections'));
    }
    expect((await report(commissioner())).body).toEqual(before);
    expect(before.rows).toEqual(expectedRows);
  }, 60_000);

  it('npm run rebuild-projections makes the same report again, even from counters gone wrong', async () => {
    const client = documentClient();
    const months = await client.send(
      new QueryCommand({
        TableName: tableName(),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'OUTCOMES#A81001' },
      }),
    );
    expect(months.Items?.length).toBe(2);
    // Lose one month's counters, and count a death twice in the other.
    await client.send(
      new DeleteCommand({ TableName: tableName(), Key: { pk: 'OUTCOMES#A81001', sk: `MONTH#${lastMonth}` } }),
    );
    await client.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: { pk: 'OUTCOMES#A81001', sk: `MONTH#${thisMonth}` },
        UpdateExpression: 'ADD deaths :one',
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
    expect((await report(gp())).body.rows).not.toEqual(expectedRows);

    const { stdout } = await run(process.execPath, ['local/rebuild-projections.ts'], {
      env: {
        ...process.env,
        DATA_DIR: api.dataDir,
        DYNAMODB_ENDPOINT: api.table().endpoint,
        TABLE_NAME: tableName(),
      },
    });
    expect(stdout).toMatch(/^rebuilt: 7 patients, \d+ revisions replayed, \d+ projected items replaced\n$/);
    expect((await report(gp())).body).toEqual({
      from: lastMonth,
      to: thisMonth,
      rows: expectedRows,
      totals: expectedTotals,
    });
  }, 60_000);
});
