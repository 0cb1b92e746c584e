import { randomUUID } from 'node:crypto';
import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Actor } from '../../domain/actor.ts';
import { type RouteEntry, routes } from '../../functions/http/routes.ts';
import type { ApiRequest, ApiResponse } from '../../functions/platform/http.ts';
import type { idempotentCreate as IdempotentCreate } from '../../functions/platform/idempotency.ts';
import { HttpProblem } from '../../functions/platform/problem.ts';
import { apiEvent, lambdaContext } from '../../local/api-gateway.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.ts';
import { GP_PRACTICE } from '../support/fixtures.ts';

/** Idempotency-Key on creating POSTs, against a real DynamoDB protocol server. */
let db: TestDynamo;
let idempotentCreate: typeof IdempotentCreate;
/** The operations the function's own client sent, by wire name (`PutItem`, `GetItem`, ...). */
const operations: string[] = [];

beforeAll(async () => {
  db = await startTestDynamo('ucp-idempotency-test');
  vi.stubEnv('TABLE_NAME', db.tableName);
  vi.stubEnv('DYNAMODB_ENDPOINT', db.dynamo.endpoint);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  // Loaded only now: the document client reads the environment on first use.
  ({ idempotentCreate } = await import('../../functions/platform/idempotency.ts'));
  (await import('../../functions/platform/dynamo.ts')).dynamoClient().middlewareStack.add(
    (next) => async (args) => {
      const target = (args.request as { headers?: Record<string, string> }).headers?.['x-amz-target'] ?? '';
      operations.push(target.replace(/^DynamoDB_\d+\./, ''));
      return next(args);
    },
    { step: 'build', name: 'recordOperations' },
  );
}, 60_000);
afterAll(async () => {
  (await import('../../functions/platform/dynamo.ts')).documentClient().destroy();
  vi.unstubAllEnvs();
  await db?.close();
});

const gp: Actor = { kind: 'staff', id: 'dr-idem', role: 'gp', organisation: GP_PRACTICE };
const other: Actor = { kind: 'staff', id: 'dr-other', role: 'gp', organisation: GP_PRACTICE };

const freshKey = () => `key-${randomUUID()}`;

const request = (options: {
  key?: string;
  body?: unknown;
  path?: string;
  actor?: Actor;
  remainingMs?: number;
}): ApiRequest => {
  const path = options.path ?? '/patients';
  const event = apiEvent({
    method: 'POST',
    path,
    ...(options.key !== undefined && { headers: { 'idempotency-key': options.key } }),
  });
  const context = lambdaContext();
  if (options.remainingMs !== undefined)
    context.getRemainingTimeInMillis = () => options.remainingMs as number;
  return {
    event,
    context,
    route: routes.find((route) => route.method === 'POST' && event.resource === route.path) as RouteEntry,
    actor: options.actor ?? gp,
    params: {},
    query: {},
    headers: options.key === undefined ? {} : { 'idempotency-key': options.key },
    body: options.body ?? { nhsNumber: '9434765919', name: { given: 'Ada', family: 'Byron' } },
  };
};

/** A create that counts its runs; its answers name it, so its records can be told from others'. */
const counter = () => {
  const id = randomUUID();
  let runs = 0;
  const create = vi.fn(async (): Promise<ApiResponse> => {
    runs += 1;
    return {
      statusCode: 201,
      headers: { 'Content-Type': 'application/json', Location: '/patients/9434765919' },
      body: JSON.stringify({ counter: id, run: runs }),
    };
  });
  /** The records this counter's answers were saved in. */
  const records = async () => (await stored()).filter((item) => item.response?.M?.body?.S?.includes(id));
  return { create, records };
};

const problemOf = async (promise: Promise<unknown>): Promise<HttpProblem> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpProblem);
  return error as HttpProblem;
};

beforeEach(() => {
  operations.length = 0;
});

/** Every item in the table: only idempotency records are written here. */
const stored = async () => (await db.client.send(new ScanCommand({ TableName: db.tableName }))).Items ?? [];

describe('idempotentCreate', () => {
  it('without a key runs the create every time and stores nothing', async () => {
    const { create } = counter();
    const handle = idempotentCreate(create);
    await handle(request({}));
    await handle(request({}));
    expect(create).toHaveBeenCalledTimes(2);
    expect(operations).toEqual([]);
  });

  it('refuses a malformed key with 400, running nothing', async () => {
    const { create } = counter();
    const problem = await problemOf(idempotentCreate(create)(request({ key: 'short' })));
    expect(problem.status).toBe(400);
    expect(problem.extra).toEqual({ errors: [{ path: 'Idempotency-Key', message: 'invalid' }] });
    expect(create).not.toHaveBeenCalled();
    expect(operations).toEqual([]);
  });

  it('replays the first response for the same key and body, in any field order, without running again', async () => {
    const { create } = counter();
    const handle = idempotentCreate(create);
    const key = freshKey();
    const first = await handle(request({ key, body: { a: 1, b: { c: 2, d: [1, 2] } } }));
    expect(operations).toEqual(['PutItem', 'PutItem']);
    operations.length = 0;
    const again = await handle(request({ key, body: { b: { d: [1, 2], c: 2 }, a: 1 } }));
    expect(again).toEqual(first);
    expect(JSON.parse(again.body).run).toBe(1);
    expect(create).toHaveBeenCalledTimes(1);
    expect(operations).toEqual(['PutItem', 'GetItem']);
  });

  it('answers 422 for the same key with another body, running nothing', async () => {
    const { create } = counter();
    const handle = idempotentCreate(create);
    const key = freshKey();
    await handle(request({ key, body: { postcode: 'SW1A 1AA' } }));
    const problem = await problemOf(handle(request({ key, body: { postcode: 'N1 9GU' } })));
    expect(problem.status).toBe(422);
    expect(problem.message).toMatch(/different request body/);
    expect(create).toHaveBeenCalledTimes(1);
  });

  it('treats the same key on another path, or from another caller, as another request', async () => {
    const { create } = counter();
    const handle = idempotentCreate(create);
    const key = freshKey();
    await handle(request({ key, path: '/patients/9434765919/plan' }));
    await handle(request({ key, path: '/patients/9876543210/plan' }));
    await handle(request({ key, path: '/patients/9434765919/plan', actor: other }));
    expect(create).toHaveBeenCalledTimes(3);
  });

  it('treats the same person under another role or organisation as another caller: a replay never skips their check', async () => {
    const { create } = counter();
    const handle = idempotentCreate(create);
    const key = freshKey();
    await handle(request({ key, path: '/patients/9434765919/plan' }));
    await handle(
      request({ key, path: '/patients/9434765919/plan', actor: { ...gp, organisation: 'Y99999' } }),
    );
    await handle(request({ key, path: '/patients/9434765919/plan', actor: { ...gp, role: 'nurse' } }));
    expect(create).toHaveBeenCalledTimes(3);
  });

  it('answers 409 with Retry-After while the first request is still running', async () => {
    let finish: () => void = () => undefined;
    const slow = vi.fn(
      () =>
        new Promise<ApiResponse>((resolve) => {
          finish = () => resolve({ statusCode: 201, headers: {}, body: '{"slow":true}' });
        }),
    );
    const handle = idempotentCreate(slow);
    const key = freshKey();
    const first = handle(request({ key }));
    await vi.waitFor(() => expect(slow).toHaveBeenCalledTimes(1), { timeout: 10_000 });
    const problem = await problemOf(handle(request({ key })));
    expect(problem.status).toBe(409);
    expect(problem.headers).toEqual({ 'Retry-After': '1' });
    finish();
    expect((await first).body).toBe('{"slow":true}');
    expect((await handle(request({ key }))).body).toBe('{"slow":true}');
    expect(slow).toHaveBeenCalledTimes(1);
  });

  it('leaves no record when the create fails: a retry runs it again', async () => {
    const failing = vi.fn(async (): Promise<ApiResponse> => {
      throw new HttpProblem(404, 'Not Found', 'enrol first');
    });
    const key = freshKey();
    const problem = await problemOf(idempotentCreate(failing)(request({ key })));
    expect(problem.status).toBe(404);
    expect(operations).toEqual(['PutItem', 'DeleteItem']);
    const { create } = counter();
    expect((await idempotentCreate(create)(request({ key }))).statusCode).toBe(201);
    expect(create).toHaveBeenCalledTimes(1);
  });

  it('takes over a key whose request ran out of time, and one whose record has expired', async () => {
    const { create, records } = counter();
    const handle = idempotentCreate(create);
    // A claim with no time left, as a request cut short by its timeout leaves it.
    const stuck = freshKey();
    const never = vi.fn(() => new Promise<ApiResponse>(() => undefined));
    void idempotentCreate(never)(request({ key: stuck, remainingMs: 0 }));
    await vi.waitFor(() => expect(never).toHaveBeenCalledTimes(1), { timeout: 10_000 });
    expect(JSON.parse((await handle(request({ key: stuck }))).body).run).toBe(1);

    // A completed record past its expiry that DynamoDB's TTL has not removed yet.
    const old = freshKey();
    await handle(request({ key: old }));
    const record = (await records()).find((item) => JSON.parse(item.response?.M?.body?.S ?? '{}').run === 2);
    expect(record?.status?.S).toBe('completed');
    const expired = { ...record, expiresAt: { N: String(Math.floor(Date.now() / 1000) - 1) } };
    await db.client.send(new PutItemCommand({ TableName: db.tableName, Item: expired }));
    expect(JSON.parse((await handle(request({ key: old }))).body).run).toBe(3);
  });

  it('never lets a request that outlived its lease release or overwrite the claim that took over', async () => {
    const key = freshKey();
    let failLate: () => void = () => undefined;
    const late = vi.fn(
      () =>
        new Promise<ApiResponse>((_, reject) => {
          failLate = () => reject(new HttpProblem(404, 'Not Found', 'enrol first'));
        }),
    );
    const lateRequest = idempotentCreate(late)(request({ key, remainingMs: 0 }));
    await vi.waitFor(() => expect(late).toHaveBeenCalledTimes(1), { timeout: 10_000 });
    // The lease has lapsed: another request takes the key over and is still running.
    let finish: () => void = () => undefined;
    const slow = vi.fn(
      () =>
        new Promise<ApiResponse>((resolve) => {
          finish = () => resolve({ statusCode: 201, headers: {}, body: '{"second":true}' });
        }),
    );
    const second = idempotentCreate(slow)(request({ key }));
    await vi.waitFor(() => expect(slow).toHaveBeenCalledTimes(1), { timeout: 10_000 });
    // The first one fails late: its release must leave the second's claim in place.
    failLate();
    expect((await problemOf(lateRequest)).status).toBe(404);
    expect((await problemOf(idempotentCreate(slow)(request({ key })))).status).toBe(409);
    finish();
    expect((await second).body).toBe('{"second":true}');
    expect((await idempotentCreate(slow)(request({ key }))).body).toBe('{"second":true}');
    expect(slow).toHaveBeenCalledTimes(1);
  });

  it('keeps the record a day, keyed by a hash: never the key or the caller in the clear', async () => {
    const { create, records } = counter();
    const key = freshKey();
    await idempotentCreate(create)(request({ key }));
    const items = await records();
    expect(items).toHaveLength(1);
    for (const item of items) {
      expect(JSON.stringify(item)).not.toContain(key);
      expect(JSON.stringify(item)).not.toContain(gp.id);
      expect(item.pk?.S).toMatch(/^IDEMPOTENCY#[0-9a-f]{64}$/);
      const expiresIn = Number(item.expiresAt?.N) - Date.now() / 1000;
      expect(expiresIn).toBeGreaterThan(24 * 60 * 60 - 300);
      expect(expiresIn).toBeLessThanOrEqual(24 * 60 * 60);
    }
  });
});
