import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { captureLogs } from '../support/logs.ts';
import { type Api, enrolment, startApi, testNhsNumber } from './harness.ts';
import { head, rawExchange } from './raw-http.ts';

/**
 * One request line per request on one machine, at INFO as `npm start` logs: from the function's
 * middleware when one answered, from the runtime when it answered itself. The route template,
 * never the path or query (they hold NHS numbers and purposes).
 */

vi.hoisted(() => {
  // Before any module makes its logger: this file reads INFO lines, as `npm start` prints them.
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
});

let api: Api;
let patient: string;
const nhs = testNhsNumber(40);
const spaced = `${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`;

beforeAll(async () => {
  api = await startApi();
  patient = api.token({ role: 'patient', nhs, sub: 'patient-logs' });
  const quiet = captureLogs();
  try {
    expect((await api.call('POST', '/patients', { token: patient, json: enrolment(nhs) })).status).toBe(201);
  } finally {
    quiet.restore();
  }
});
afterAll(async () => {
  await api?.close();
});

type Line = Record<string, unknown>;
const requestLines = (lines: string[]): Line[] =>
  lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"message":"request"'))
    .map((line) => JSON.parse(line) as Line);

describe('request lines', () => {
  it('exactly one per request, whoever answers, with the template and never the path', async () => {
    const logs = captureLogs();
    const answers: { id: string | null; method: string; status: number; route?: string }[] = [];
    const send = async (method: string, path: string, route: string | undefined, init: RequestInit = {}) => {
      const response = await fetch(`${api.url}${path}`, { method, ...init });
      await response.text();
      answers.push({ id: response.headers.get('x-amzn-requestid'), method, status: response.status, route });
    };
    const auth = { authorization: `Bearer ${patient}` };
    try {
      await send('POST', `/patients/${nhs}/plan`, '/patients/{nhs}/plan', {
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ sections: { aboutMe: { whatMattersToMe: 'the sea at Whitby' } } }),
      });
      await send(
        'GET',
        `/patients/${nhs}/plan?purpose=${encodeURIComponent('checking my wishes')}`,
        '/patients/{nhs}/plan',
        {
          headers: auth,
        },
      );
      await send('HEAD', `/patients/${encodeURIComponent(spaced)}/plan`, '/patients/{nhs}/plan', {
        headers: auth,
      });
      await send('OPTIONS', `/patients/${nhs}/plan`, '/patients/{nhs}/plan', {
        headers: { origin: 'http://localhost:5173' },
      });
      await send('DELETE', `/patients/${nhs}/plan`, '/patients/{nhs}/plan', { headers: auth });
      await send('GET', `/patients/${nhs}/nothing`, undefined, { headers: auth });
      await send('GET', `/patients/${nhs}/plan%`, undefined, { headers: auth });
      await send('POST', `/patients/${nhs}/plan`, undefined, {
        headers: { ...auth, 'content-type': 'application/json' },
        body: 'x'.repeat(2 * 1024 * 1024),
      });
      await send('GET', `/patients/${nhs}/plan?pad=${'p'.repeat(20 * 1024)}`, undefined, { headers: auth });
      const raw = await rawExchange(api.url, [
        `GET /patients/${nhs}/plan HTTP/1.1\r\nHost localhost\r\n\r\n`,
      ]);
      const bad = raw.responses[0];
      answers.push({ id: bad?.headers['x-amzn-requestid'] ?? null, method: 'GET', status: bad?.status ?? 0 });
      await rawExchange(api.url, [head('GET', '/health', { Connection: 'close' })]);
      answers.push({ id: null, method: 'GET', status: 200, route: '/health' });
      await api.runtime.settled();
    } finally {
      logs.restore();
    }

    expect(answers.map((a) => a.status)).toEqual([201, 200, 200, 204, 405, 404, 400, 413, 431, 400, 200]);
    const lines = requestLines(logs.lines);
    expect(lines).toHaveLength(answers.length);
    for (const answer of answers.filter((a) => a.id !== null)) {
      const mine = lines.filter((line) => line.requestId === answer.id);
      expect(mine, `${answer.method} ${answer.status}`).toEqual([
        expect.objectContaining({
          level: 'INFO',
          status: answer.status,
          durationMs: expect.any(Number),
          ...(answer.route && { route: answer.route }),
        }),
      ]);
      if (!answer.route) expect(mine[0]).not.toHaveProperty('route');
      if (answer.status !== 431 && answer.status !== 400) expect(mine[0]?.method).toBe(answer.method);
    }
    expect(lines.at(-1)).toMatchObject({ method: 'GET', route: '/health', status: 200 });

    const everything = logs.lines.join('\n');
    for (const secret of [
      nhs,
      spaced,
      encodeURIComponent(spaced),
      'checking my wishes',
      'checking%20my',
      'Whitby',
      patient,
    ]) {
      expect(everything).not.toContain(secret);
    }
  });
});

describe("the consumers' lines", () => {
  it('carry the request id of their own invocation, not the request that caused it, and no patient data', async () => {
    const other = testNhsNumber(41);
    const token = api.token({ role: 'patient', nhs: other, sub: 'patient-consumer-logs' });
    const logs = captureLogs();
    try {
      const res = await api.call('POST', '/patients', { token, json: enrolment(other) });
      expect(res.status).toBe(201);
      await api.runtime.settled();
    } finally {
      logs.restore();
    }

    const lines = logs.lines.flatMap((chunk) => chunk.split('\n')).filter((line) => line.startsWith('{'));
    const parsed = lines.map((line) => JSON.parse(line) as Line);
    const [request] = parsed.filter((line) => line.message === 'request');
    const archived = parsed.filter((line) => line.message === 'event archived');
    // Enrolment raises its events on the stream: the relay puts them on the bus, the archive writes each.
    expect(archived.length).toBeGreaterThan(0);
    for (const line of archived) {
      expect(line).toMatchObject({ function_name: 'auditArchive', function_request_id: expect.any(String) });
      expect(line.function_request_id).not.toBe(request?.function_request_id);
    }
    expect(new Set(archived.map((line) => line.function_request_id)).size).toBe(archived.length);
    const everything = lines.join('\n');
    for (const secret of [other, 'Byron', 'SW1A 1AA']) expect(everything).not.toContain(secret);
  });
});
