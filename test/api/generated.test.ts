import { Agent, request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../functions/http/routes.ts';
import { captureLogs } from '../support/logs.ts';
import { type Api, enrolment, startApi, testNhsNumber, withWrongCheckDigit } from './harness.ts';

/**
 * Generated requests over every route (functions/http/routes.ts) against the one-machine
 * runtime: any method, paths with odd escapes, unicode and long segments, odd queries and
 * headers, JSON and non-JSON bodies (some over the limits), with and without a valid token.
 * Whatever is sent: no answer of 500 or more, no connection error, every 4xx problem+json.
 * `FC_SEED=<n>` replays a run.
 */

const count = 2000;
/** Stops sending new requests after this, so a loaded machine still finishes in time. */
const budgetMs = 45_000;
const MB = 1024 * 1024;

let api: Api;
const nhs = testNhsNumber(50);
const tokens: string[] = [];

beforeAll(async () => {
  api = await startApi();
  const patient = api.token({ role: 'patient', nhs, sub: 'patient-generated' });
  expect((await api.call('POST', '/patients', { token: patient, json: enrolment(nhs) })).status).toBe(201);
  const plan = await api.call('POST', `/patients/${nhs}/plan`, {
    token: patient,
    json: { sections: { aboutMe: { whatMattersToMe: 'the allotment' } } },
  });
  expect(plan.status).toBe(201);
  const now = Math.floor(Date.now() / 1000);
  tokens.push(
    patient,
    api.token({ role: 'gp', org: 'A81001', sub: 'dr-generated' }),
    api.token({ role: 'paramedic', org: 'RRU', sub: 'crew-generated' }),
    api.token({ role: 'care_home', org: 'NCH01', sub: 'care-home-generated' }),
    api.token({ role: 'privacy_officer', org: 'A81001', sub: 'privacy-generated' }),
    api.token({ role: 'admin', org: 'X26', sub: 'admin-generated' }),
    api.token({ role: 'carer', nhs: testNhsNumber(51), sub: 'carer-generated' }),
    api.sign({ sub: 'dr-late', role: 'gp', ods: 'A81001', iat: now - 7200, exp: now - 3600 }, 'staff'),
  );
}, 60_000);
afterAll(async () => {
  await api?.close();
});

type Generated = { method: string; path: string; headers: Record<string, string>; body?: string };

const oddEscapes = ['%', '%zz', '%E0%A4%A', '%00', '%2F', '%2e%2e', '%C0%AF', '%25', '%ff', '%%41', '%u0041'];
const printable = fc.stringMatching(/^[\x20-\x7e]{0,40}$/);

const segment = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(nhs, `${nhs.slice(0, 3)}%20${nhs.slice(3, 6)}%20${nhs.slice(6)}`) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(testNhsNumber(52), withWrongCheckDigit(nhs), '1', '0', '-1', 'A81001', 'RRU'),
  },
  { weight: 2, arbitrary: fc.constantFrom(...oddEscapes) },
  {
    weight: 2,
    arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).map(encodeURIComponent),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9._~!$&'()*+,;=:@-]{1,30}$/) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 6 }).map(encodeURIComponent), fc.constantFrom(...oddEscapes))
      .map(([a, b]) => `${a}${b}`),
  },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 20_000 }).map((n) => '9'.repeat(n)) },
);

const target = fc
  .tuple(
    fc.constantFrom(...routes),
    fc.array(segment, { minLength: 3, maxLength: 3 }),
    fc.constantFrom('', '', '', '', '', '', '/', '/extra', '//'),
  )
  .map(([route, values, tail]) => {
    let n = 0;
    return { route, path: `${route.path.replace(/\{[^}]+\}/g, () => values[n++] ?? '1')}${tail}` };
  });

const query = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  {
    weight: 2,
    arbitrary: fc
      .dictionary(
        fc.constantFrom('purpose', 'limit', 'next', 'x', '__proto__'),
        fc.oneof(printable, fc.constantFrom('0', '1', '200', '201', '-5', 'abc', 'eyJzayI6InoifQ')),
        { maxKeys: 3 },
      )
      .map((q) => `?${new URLSearchParams(q)}`),
  },
  { weight: 1, arbitrary: fc.constantFrom(...oddEscapes).map((e) => `?purpose=${e}&limit=${e}`) },
);

const method = fc.oneof(
  { weight: 6, arbitrary: fc.constant('') }, // the route's own method
  { weight: 4, arbitrary: fc.constantFrom('GET', 'HEAD', 'OPTIONS', 'POST', 'PATCH', 'PUT', 'DELETE') },
  { weight: 1, arbitrary: fc.constantFrom('PROPFIND', 'PURGE', 'FROB', 'get', 'CONNECTX') },
);

const jsonBody = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc
    .dictionary(
      fc.constantFrom('aboutMe', 'preferences', 'cpr', 'treatment', 'contacts', 'medicines', 'hobbies'),
      fc.jsonValue({ maxDepth: 3 }),
      { maxKeys: 3 },
    )
    .map((sections) => JSON.stringify({ sections })),
  fc
    .record(
      {
        nhsNumber: fc.constantFrom(nhs, testNhsNumber(53), withWrongCheckDigit(nhs), ''),
        name: fc.record({ given: printable, family: printable }),
        birthDate: fc.constantFrom('1941-02-11', '2999-01-01', 'yesterday'),
        postcode: fc.constantFrom('SW1A 1AA', 'nowhere'),
        gpPractice: fc.constantFrom('A81001', 'ZZ'),
        organisation: fc.constantFrom('A81001', 'RRU'),
        reason: printable,
        comments: printable,
        email: fc.constantFrom('ada@example.com', 'not-an-email'),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
);

/** Bodies a route accepts, so requests also reach the commands and reads behind validation. */
const plausibleBody = fc.oneof(
  printable.map((t) => JSON.stringify({ sections: { aboutMe: { whatMattersToMe: t || 'home' } } })),
  fc
    .constantFrom(
      { organisation: 'A81001' },
      { organisation: 'A81001', clinician: 'dr-generated', note: 'please review' },
      {},
      { note: 'agreed with the patient' },
      { comments: 'please add a key contact' },
      { reason: 'I have changed my mind' },
      { sections: { cpr: { decision: 'for_cpr' } } },
      { date: '2026-11-20', place: 'home' },
      { name: 'Hospice', kind: 'hospice', notificationEmail: 'team@hospice.example' },
    )
    .map((v) => JSON.stringify(v)),
  fc.integer({ min: 60, max: 120 }).map((n) => JSON.stringify(enrolment(testNhsNumber(n)))),
  // A token exchange's form (POST /token), with assertions that are never valid.
  fc
    .record({
      grant_type: fc.constantFrom('urn:ietf:params:oauth:grant-type:token-exchange', 'password', ''),
      subject_token: fc.oneof(
        printable,
        fc.constantFrom('a.b.c', 'eyJhbGciOiJub25lIn0.eyJpc3MiOiJkZW1vLWVtaXMifQ.', 'e30.e30.e30'),
      ),
      subject_token_type: fc.constantFrom('urn:ietf:params:oauth:token-type:jwt', 'jwt'),
    })
    .map((form) => new URLSearchParams(form).toString()),
);

const body = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 5, arbitrary: plausibleBody },
  { weight: 4, arbitrary: jsonBody },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom('{"sections":', 'null', '[]', '"x"', '{"__proto__":{"x":1}}') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(70 * 1024, 2 * MB).map((n) => JSON.stringify({ x: 'x'.repeat(n) })),
  },
);

/** Present with probability 1 - 1/freq. */
const sometimes = (arbitrary: fc.Arbitrary<string>, freq: number) =>
  fc.option(arbitrary, { freq, nil: undefined });

const headers = fc
  .record({
    authorization: sometimes(
      fc.oneof(
        { weight: 8, arbitrary: fc.integer({ min: 0, max: 7 }).map((i) => `Bearer ${tokens[i]}`) },
        {
          weight: 1,
          arbitrary: fc.constantFrom('Bearer not-a-jwt', 'Bearer a.b.c', 'Basic Z3A6c2VjcmV0', 'Bearer '),
        },
      ),
      8,
    ),
    'content-type': sometimes(
      fc.oneof(
        { weight: 6, arbitrary: fc.constant('application/json') },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            'application/json; charset=utf-8',
            'text/plain',
            'application/x-www-form-urlencoded',
            'application/problem+json',
            'multipart/form-data; boundary=x',
            '',
          ),
        },
      ),
      6,
    ),
    'if-match': sometimes(
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom('"1"', '"2"', '"3"') },
        { weight: 1, arbitrary: fc.constantFrom('W/"1"', '*', 'garbage', '"9999999999"', '') },
      ),
      2,
    ),
    'break-glass': sometimes(
      fc.constantFrom('unconscious, no other record available', 'short', 'x'.repeat(300)),
      4,
    ),
    'idempotency-key': sometimes(fc.oneof(fc.uuid(), printable), 4),
    origin: sometimes(fc.constantFrom('http://localhost:5173', 'https://evil.example', 'null'), 3),
    'access-control-request-method': sometimes(fc.constantFrom('PATCH', 'DELETE', 'FROB'), 4),
    accept: sometimes(fc.constantFrom('application/json', 'text/html', '*/*'), 3),
  })
  .map((h) => Object.fromEntries(Object.entries(h).filter((e): e is [string, string] => e[1] !== undefined)));

const generated: fc.Arbitrary<Generated> = fc
  .record({ target, query, method, headers, body })
  .map(({ target, query, method, headers, body }) => ({
    method: method || target.route.method,
    path: `${target.path}${query}`,
    headers,
    ...(body !== undefined && { body }),
  }));

type Outcome =
  | { request: Generated; status: number; contentType: string; text: string }
  | { request: Generated; error: string };

const send = (agent: Agent, request_: Generated): Promise<Outcome> =>
  new Promise((resolve) => {
    const { hostname, port } = new URL(api.url);
    const req = request(
      {
        host: hostname,
        port,
        method: request_.method,
        path: request_.path,
        // Framed explicitly: Node's client sends a HEAD or GET body without a length otherwise.
        headers: {
          ...request_.headers,
          ...(request_.body !== undefined && { 'content-length': Buffer.byteLength(request_.body) }),
        },
        agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            request: request_,
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'] ?? '',
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', (e: NodeJS.ErrnoException) =>
          resolve({ request: request_, error: e.code ?? e.message }),
        );
      },
    );
    req.setTimeout(30_000, () =>
      req.destroy(Object.assign(new Error('no answer in 30 s'), { code: 'TIMEOUT' })),
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ request: request_, error: e.code ?? e.message }));
    req.end(request_.body);
  });

type Answered = Extract<Outcome, { status: number }>;

/** POST /token answers RFC 6749 §5.2's `application/json`, with a problem's members beside its `error`. */
const isTokenError = (outcome: Answered) => {
  if (outcome.request.method !== 'POST' || !/^\/token\/?(\?|$)/.test(outcome.request.path)) return false;
  if (!outcome.contentType.startsWith('application/json') || outcome.status !== 400) return false;
  const body = JSON.parse(outcome.text);
  return typeof body.error === 'string' && body.error_description === body.detail && body.status === 400;
};

const isProblem = (outcome: Answered) => {
  if (isTokenError(outcome)) return true;
  if (!outcome.contentType.startsWith('application/problem+json')) return false;
  if (outcome.request.method === 'HEAD') return outcome.text === '';
  try {
    const problem = JSON.parse(outcome.text);
    return (
      problem.status === outcome.status &&
      typeof problem.title === 'string' &&
      typeof problem.detail === 'string'
    );
  } catch {
    return false;
  }
};

const describeRequest = (o: Outcome) =>
  `${o.request.method} ${o.request.path.slice(0, 120)} [${Object.keys(o.request.headers).join(',')}] body ${
    o.request.body?.length ?? 0
  } -> ${'error' in o ? o.error : `${o.status} ${o.contentType} ${o.text.slice(0, 120)}`}`;

describe('generated requests over every route', () => {
  it(`${count} requests: no 5xx, no connection error, every 4xx problem+json`, async () => {
    const seed = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const requests = fc.sample(generated, { numRuns: count, seed });
    // Every route is asked at least once with its own method, whatever the sample drew.
    for (const route of routes) {
      requests.push({
        method: route.method,
        path: route.path
          .replace('{nhs}', nhs)
          .replace('{n}', '1')
          .replace('{ods}', 'A81001')
          .replace('{id}', 'demo-emis'),
        headers: { authorization: `Bearer ${tokens[1]}` },
      });
    }
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const outcomes: Outcome[] = [];
    const started = performance.now();
    const queue = [...requests];
    const logs = captureLogs();
    try {
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let next = queue.shift(); next; next = queue.shift()) {
            if (performance.now() - started > budgetMs) return;
            outcomes.push(await send(agent, next));
          }
        }),
      );
      await api.runtime.settled();
    } finally {
      logs.restore();
      agent.destroy();
    }
    const seconds = (performance.now() - started) / 1000;

    const answered = outcomes.filter((o): o is Answered => 'status' in o);
    const serverErrors = answered.filter((o) => o.status >= 500);
    const connectionErrors = outcomes.filter((o) => 'error' in o);
    const nonProblem4xx = answered.filter((o) => o.status >= 400 && o.status < 500 && !isProblem(o));
    const byStatus = Object.entries(
      answered.reduce<Record<number, number>>((acc, o) => {
        acc[o.status] = (acc[o.status] ?? 0) + 1;
        return acc;
      }, {}),
    )
      .map(([status, n]) => `${status}:${n}`)
      .join(' ');
    const summary = `${outcomes.length} generated requests in ${seconds.toFixed(1)} s (seed ${seed}): >=500: ${
      serverErrors.length
    }, connection errors: ${connectionErrors.length}, non-problem 4xx: ${nonProblem4xx.length}; ${byStatus}`;
    process.stdout.write(`${summary}\n`);

    expect(outcomes.length, summary).toBeGreaterThanOrEqual(Math.min(requests.length, 500));
    expect(serverErrors.map(describeRequest), summary).toEqual([]);
    expect(connectionErrors.map(describeRequest), summary).toEqual([]);
    expect(nonProblem4xx.map(describeRequest), summary).toEqual([]);
  }, 120_000);
});
