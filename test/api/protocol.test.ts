import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corsAllowHeaders, corsAllowMethods } from '../../functions/platform/cors.ts';
import {
  type Api,
  type ApiResponse,
  enrolment,
  enrolWithDraft,
  expectProblem,
  startApi,
  testNhsNumber,
} from './harness.ts';
import { head, type RawResponse, rawExchange } from './raw-http.ts';

/**
 * The HTTP edges of the one-machine runtime (local/runtime.ts), against a real server with real
 * clients (Node's fetch and raw keep-alive sockets): bad escapes, bodies and request heads over
 * the limits, CORS preflight, 405, HEAD and 415. Never a 5xx, never a broken connection.
 */

let api: Api;
let gp: string;
let patient: string;
const nhs = testNhsNumber(30);
const MB = 1024 * 1024;

beforeAll(async () => {
  api = await startApi();
  gp = api.token({ role: 'gp', org: 'A81001', sub: 'dr-protocol' });
  patient = api.token({ role: 'patient', nhs, sub: 'patient-protocol' });
  await enrolWithDraft(api, nhs, patient);
});
afterAll(async () => {
  await api?.close();
});

/** A raw response as the harness's, to assert it with expectProblem. */
const asApi = (raw: RawResponse | undefined): ApiResponse => {
  if (!raw) throw new Error('no response');
  return {
    status: raw.status,
    headers: new Headers(raw.headers),
    text: raw.body,
    body: JSON.parse(raw.body),
  };
};

const healthy = async () => expect((await api.call('GET', '/health')).status).toBe(200);

describe('malformed % escapes', () => {
  it.each(['/health/%', '/patients/%E0%A4%A/plan', '/patients/%zz/plan', `/patients/${nhs}/plan%`, '/%'])(
    'GET %s is a 400 problem',
    async (path) => {
      const res = await api.call('GET', path, { token: gp });
      expectProblem(res, 400);
      expect(res.body.detail).toMatch(/%/);
    },
  );

  it('also on a raw connection, which stays usable', async () => {
    const { responses, error } = await rawExchange(api.url, [
      head('GET', '/patients/%E0%A4%A/plan'),
      head('GET', '/health', { Connection: 'close' }),
    ]);
    expect(error).toBeUndefined();
    expect(responses.map((r) => r.status)).toEqual([400, 200]);
    expectProblem(asApi(responses[0]), 400);
  });
});

describe('bodies over the limit', () => {
  const big = (bytes: number) =>
    JSON.stringify({ sections: { aboutMe: { whatMattersToMe: 'x'.repeat(bytes) } } });

  it('fetch reads the 413 for a 2 MB body, and the next request works', async () => {
    const res = await api.call('POST', `/patients/${nhs}/plan`, {
      token: patient,
      raw: big(2 * MB),
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(res, 413);
    await healthy();
  });

  it('fetch reads the 413 for a chunked body of unknown length', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 3 * MB) controller.close();
        else {
          sent += chunk.length;
          controller.enqueue(chunk);
        }
      },
    });
    const response = await fetch(`${api.url}/patients/${nhs}/plan`, {
      method: 'POST',
      headers: { authorization: `Bearer ${patient}`, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    const text = await response.text();
    expectProblem({ status: response.status, headers: response.headers, text, body: JSON.parse(text) }, 413);
    await healthy();
  });

  it("fetch reads the 413 for a body over API Gateway's 10 MB quota, which closes the connection", async () => {
    const res = await api.call('POST', '/patients', {
      token: gp,
      raw: 'x'.repeat(11 * MB),
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(res, 413);
    expect(res.headers.get('connection')).toBe('close');
    await healthy();
  });

  it('a raw keep-alive connection reads the 413, then its next request is answered', async () => {
    const body = Buffer.alloc(2 * MB, 'x');
    const { responses, error, timedOut } = await rawExchange(api.url, [
      head('POST', '/patients', { 'Content-Type': 'application/json', 'Content-Length': body.length }),
      body,
      head('GET', '/health', { Connection: 'close' }),
    ]);
    expect({ error, timedOut }).toEqual({ error: undefined, timedOut: false });
    expect(responses.map((r) => r.status)).toEqual([413, 200]);
    expectProblem(asApi(responses[0]), 413);
  });

  it('the same with a chunked body', async () => {
    const chunk = `${(64 * 1024).toString(16)}\r\n${'x'.repeat(64 * 1024)}\r\n`;
    const { responses, error, timedOut } = await rawExchange(api.url, [
      head('POST', `/patients/${nhs}/plan`, {
        'Content-Type': 'application/json',
        'Transfer-Encoding': 'chunked',
      }),
      ...Array.from({ length: 32 }, () => chunk),
      '0\r\n\r\n',
      head('GET', '/health', { Connection: 'close' }),
    ]);
    expect({ error, timedOut }).toEqual({ error: undefined, timedOut: false });
    expect(responses.map((r) => r.status)).toEqual([413, 200]);
  });

  it('a client that offers to hold back a large body (Expect: 100-continue) is refused before sending it', async () => {
    const { responses, timedOut } = await rawExchange(api.url, [
      head('POST', '/patients', {
        'Content-Type': 'application/json',
        'Content-Length': 5 * MB,
        Expect: '100-continue',
      }),
    ]);
    expect(timedOut).toBe(false);
    expect(responses.map((r) => r.status)).toEqual([413]);
    expect(responses[0]?.headers.connection).toBe('close');
    expectProblem(asApi(responses[0]), 413);
  });

  it('a small body behind Expect: 100-continue is let through', async () => {
    const body = JSON.stringify(enrolment(testNhsNumber(31)));
    const { responses } = await rawExchange(
      api.url,
      [
        head('POST', '/patients', {
          Authorization: `Bearer ${gp}`,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          Expect: '100-continue',
          Connection: 'close',
        }),
        body,
      ],
      { pauseAfter: 1 },
    );
    expect(responses.map((r) => r.status)).toEqual([100, 201]);
  });
});

describe('request heads Node cannot take', () => {
  it('a URL over the 16 KB header limit is a 431 problem, read by fetch', async () => {
    const res = await api.call('GET', `/patients/${'9'.repeat(20 * 1024)}/plan`, { token: gp });
    expectProblem(res, 431);
    await healthy();
  });

  it("the same URL asked with HEAD: the 431 without a body, which Node's client would misread", async () => {
    const answer = await new Promise<{ status?: number; type?: string; body?: string; error?: string }>(
      (resolve) => {
        const req = request(
          `${api.url}/patients/${'9'.repeat(20 * 1024)}/plan`,
          { method: 'HEAD' },
          (res) => {
            let body = '';
            res.on('data', (chunk) => {
              body += chunk;
            });
            res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body }));
          },
        );
        req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
        req.end();
      },
    );
    expect(answer).toEqual({ status: 431, type: 'application/problem+json', body: '' });
  });

  it('a header block over the limit on a raw connection: 431 problem, connection closed cleanly', async () => {
    const { responses, error, timedOut } = await rawExchange(api.url, [
      head('GET', '/health', { 'X-Padding': 'p'.repeat(40 * 1024) }),
    ]);
    expect({ error, timedOut }).toEqual({ error: undefined, timedOut: false });
    expect(responses.map((r) => r.status)).toEqual([431]);
    expect(responses[0]?.headers.connection).toBe('close');
    expectProblem(asApi(responses[0]), 431);
  });

  it('a request that is not HTTP is a 400 problem', async () => {
    const { responses, timedOut } = await rawExchange(api.url, [
      'GET /health HTTP/1.1\r\nHost localhost\r\n\r\n',
    ]);
    expect(timedOut).toBe(false);
    expect(responses.map((r) => r.status)).toEqual([400]);
    expectProblem(asApi(responses[0]), 400);
  });
});

describe('CORS preflight, as API Gateway answers it', () => {
  const preflight = (path: string, origin: string) =>
    fetch(`${api.url}${path}`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'PATCH',
        'access-control-request-headers': 'authorization,content-type,if-match',
      },
    });

  it('names the allowed origin, headers and methods, without a token', async () => {
    const response = await preflight(`/patients/${nhs}/plan`, 'http://localhost:5173');
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(response.headers.get('access-control-allow-headers')).toBe(corsAllowHeaders.join(','));
    expect(response.headers.get('access-control-allow-methods')).toBe(corsAllowMethods.join(','));
    expect(response.headers.get('access-control-max-age')).toBe('3600');
    expect(response.headers.get('vary')).toBe('Origin');
  });

  it('names only the allowed origin to any other, so the browser refuses', async () => {
    const response = await preflight('/health', 'https://evil.example');
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });

  it('answers on every resource API Gateway has, and 404 elsewhere', async () => {
    for (const path of ['/', '/worklist', '/patients', `/patients/${nhs}/plan/versions/3`]) {
      expect((await preflight(path, 'http://localhost:5173')).status).toBe(204);
    }
    const response = await preflight('/nowhere', 'http://localhost:5173');
    const text = await response.text();
    expectProblem({ status: response.status, headers: response.headers, text, body: JSON.parse(text) }, 404);
  });

  it('the answer to the real request carries the origin too', async () => {
    const res = await api.call('GET', `/patients/${nhs}/plan`, {
      token: patient,
      headers: { origin: 'http://localhost:5173' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });
});

describe('methods', () => {
  it('405 carries Allow with every method the path answers', async () => {
    const res = await api.call('DELETE', `/patients/${nhs}/plan`, { token: patient });
    expectProblem(res, 405);
    expect(res.headers.get('allow')?.split(', ').sort()).toEqual(['GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST']);
    const put = await api.call('PUT', '/health');
    expectProblem(put, 405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });

  it('a method no route has is 404 on an unknown path; one Node does not know is a 400 problem', async () => {
    expectProblem(await api.call('PROPFIND', '/nowhere'), 404);
    expectProblem(await api.call('FROB', '/health'), 400);
  });

  it('HEAD answers as GET, without the body', async () => {
    const get = await fetch(`${api.url}/health`);
    const response = await fetch(`${api.url}/health`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
    expect(response.headers.get('content-type')).toBe(get.headers.get('content-type'));
  });

  it('HEAD on a plan is a read: the same ETag as GET, and in the access log', async () => {
    const get = await api.call('GET', `/patients/${nhs}/plan`, { token: patient });
    expect(get.status).toBe(200);
    const response = await fetch(`${api.url}/patients/${nhs}/plan?purpose=head%20check`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${patient}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe(get.headers.get('etag'));
    expect(await response.text()).toBe('');
    const log = await api.call('GET', `/patients/${nhs}/access-log`, { token: patient });
    expect(log.status).toBe(200);
    expect(log.body.items.filter((i: { purpose: string | null }) => i.purpose === 'head check')).toEqual([
      expect.objectContaining({
        action: 'read_plan',
        actor: expect.objectContaining({ id: 'patient-protocol' }),
      }),
    ]);
  });

  it('HEAD is refused like GET: 401 without a token, 405 on a path without GET', async () => {
    const unauthenticated = await fetch(`${api.url}/patients/${nhs}/plan`, { method: 'HEAD' });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const noGet = await fetch(`${api.url}/patients/${nhs}/plan/submit`, { method: 'HEAD' });
    expect(noGet.status).toBe(405);
    expect(noGet.headers.get('allow')).toBe('POST, OPTIONS');
  });

  it('a 415 names the media type expected', async () => {
    const res = await api.call('PATCH', `/patients/${nhs}/plan`, {
      token: patient,
      raw: '{"sections":{}}',
      headers: { 'content-type': 'text/plain', 'if-match': '"1"' },
    });
    expectProblem(res, 415);
    expect(res.body.detail).toContain('application/json');
    expect(res.headers.get('accept')).toBe('application/json');
  });
});
