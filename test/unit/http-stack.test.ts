import { describe, expect, it } from 'vitest';
import { apiEvent, lambdaContext } from '../../local/api-gateway.ts';
import { NHS } from '../support/fixtures.ts';
import { handlerEnvironment, mockedStore } from '../support/handler-env.ts';

/**
 * The shared Middy stack (functions/platform/http.ts) as API Gateway would drive it: HEAD, a
 * passed-through OPTIONS, the 415, and the one request line each invocation writes.
 */

const env = handlerEnvironment();
process.env.ALLOWED_ORIGINS = 'https://app.test,https://admin.test';
const meta = (await import('../../functions/http/meta.ts')).handler;
const planCommands = (await import('../../functions/http/plan-commands.ts')).handler;
const { corsAllowHeaders, corsAllowMethods } = await import('../../functions/platform/cors.ts');

const { logs, commandNames } = mockedStore(env, [NHS]);

type Input = Parameters<typeof apiEvent>[0];
const call = (handler: typeof planCommands, input: Input, lambdaRequestId = 'lambda-request-1') =>
  handler(apiEvent({ requestId: 'gateway-request-1', ...input }), lambdaContext('fn', lambdaRequestId));

const requestLines = () =>
  logs()
    .lines.flatMap((line) => line.split('\n'))
    .filter((line) => line.includes('"message":"request"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('HEAD', () => {
  it('answers as GET does, without the body', async () => {
    const get = await call(meta, { method: 'GET', path: '/health' });
    const head = await call(meta, { method: 'HEAD', path: '/health' });
    expect(get.statusCode).toBe(200);
    expect(get.body).toBe('{"status":"ok"}');
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers).toEqual(get.headers);
  });

  it('is refused where GET is, still without a body', async () => {
    const head = await call(meta, { method: 'HEAD', path: '/no-such-thing' });
    expect(head.statusCode).toBe(404);
    expect(head.headers?.['Content-Type']).toBe('application/problem+json');
    expect(head.body).toBe('');
  });
});

describe('OPTIONS passed through to a function', () => {
  it('answers the preflight as API Gateway does, for an allowed origin', async () => {
    const response = await call(meta, {
      method: 'OPTIONS',
      path: '/health',
      headers: { Origin: 'https://admin.test', 'Access-Control-Request-Method': 'GET' },
    });
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    expect(response.headers).toMatchObject({
      'Access-Control-Allow-Origin': 'https://admin.test',
      'Access-Control-Allow-Headers': corsAllowHeaders.join(','),
      'Access-Control-Allow-Methods': corsAllowMethods.join(','),
      'Access-Control-Max-Age': '3600',
    });
  });

  it('names only the first allowed origin to any other origin, so the browser refuses', async () => {
    const response = await call(meta, {
      method: 'OPTIONS',
      path: '/openapi.json',
      headers: { Origin: 'https://evil.test' },
    });
    expect(response.statusCode).toBe(204);
    expect(response.headers?.['Access-Control-Allow-Origin']).toBe('https://app.test');
  });
});

describe('415', () => {
  it('names the media type expected, in the detail and in Accept', async () => {
    const response = await call(planCommands, {
      method: 'POST',
      path: `/patients/${NHS}/plan`,
      headers: { 'Content-Type': 'text/plain' },
      body: '{"sections":{}}',
    });
    expect(response.statusCode).toBe(415);
    expect(response.headers?.Accept).toBe('application/json');
    expect(JSON.parse(response.body)).toMatchObject({
      status: 415,
      detail: expect.stringContaining('application/json'),
    });
    expect(commandNames()).toEqual([]);
  });
});

describe('request line', () => {
  it('one per invocation: method, route template, status, duration and both request ids', async () => {
    await call(meta, { method: 'GET', path: '/health' }, 'lambda-request-2');
    expect(requestLines()).toEqual([
      expect.objectContaining({
        level: 'INFO',
        method: 'GET',
        route: '/health',
        status: 200,
        durationMs: expect.any(Number),
        requestId: 'gateway-request-1',
        function_request_id: 'lambda-request-2',
        function_name: 'fn',
      }),
    ]);
  });

  it('also for a refusal, with the template and never the path, query or body', async () => {
    const response = await call(planCommands, {
      method: 'POST',
      path: `/patients/${NHS}/plan`,
      query: { purpose: 'care' },
      token: env.token({ role: 'gp', org: 'A81001' }),
      headers: { 'Content-Type': 'application/json' },
      body: '{"sections":',
    });
    expect(response.statusCode).toBe(400);
    const lines = requestLines();
    expect(lines).toEqual([
      expect.objectContaining({ method: 'POST', route: '/patients/{nhs}/plan', status: 400 }),
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/purpose|sections|Bearer/);
    // The NHS number is checked for in every line after each test (mockedStore).
  });
});
