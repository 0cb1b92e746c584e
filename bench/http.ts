import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error autocannon ships no type declarations
import autocannon from 'autocannon';
import { issueDevToken } from '../local/dev-issuer.ts';
import { demoSections } from './setup.ts';
import { round } from './stats.ts';

const root = new URL('..', import.meta.url).pathname;

/** Starts a Node 24 child on `script` and resolves with the first http URL it prints. */
const startChild = (script: string, env: Record<string, string>) =>
  new Promise<{ child: ChildProcess; url: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
      cwd: root,
      env: { ...process.env, ...env, POWERTOOLS_LOG_LEVEL: 'ERROR' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (url) resolve({ child, url });
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

const api = async (
  url: string,
  method: string,
  path: string,
  token: string,
  body?: unknown,
  ifMatch?: string,
) => {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body !== undefined && { 'Content-Type': 'application/json' }),
      ...(ifMatch && { 'If-Match': ifMatch }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
  return response.headers.get('etag') ?? '';
};

/** autocannon on the crisis summary's URL of a server, as the crew's app would call it. */
const load = async (
  url: string,
  nhs: string,
  token: string,
  options: { connections: number; seconds: number },
) => {
  const result = await autocannon({
    url: `${url}/patients/${nhs}/plan/summary?purpose=bench`,
    connections: options.connections,
    duration: options.seconds,
    headers: { authorization: `Bearer ${token}` },
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return {
    p50Ms: result.latency.p50 as number,
    p99Ms: result.latency.p99 as number,
    meanMs: round(result.latency.mean, 2),
    requests: result.requests.total as number,
  };
};

/**
 * The local runtime (`npm start`, its own process) under autocannon on the crisis summary, then,
 * over the same data and at the same concurrency, a bare node:http server making the same two
 * calls (bench/bare-server.ts), in alternating rounds so that a busy machine weighs on both alike.
 * `httpRatio` is the bare server's requests per second over the summary's: how many times longer
 * a request takes through the whole stack (token, middleware, rules, and `npm start`'s in-process
 * stream, bus and archive) than the data store and HTTP alone.
 */
export const httpLoad = async (options: { connections: number; seconds: number; rounds: number }) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ucp-bench-http-'));
  const startService = () => startChild('local/server.ts', { DATA_DIR: dataDir, PORT: '0' });
  let service = await startService();
  const nhs = '9434765919';
  const gp = issueDevToken(dataDir, { role: 'gp', org: 'A81001' });
  const paramedic = issueDevToken(dataDir, { role: 'paramedic', org: 'RRU' });
  await api(service.url, 'POST', '/patients', gp, {
    nhsNumber: nhs,
    name: { given: 'Ada', family: 'Byron' },
    birthDate: '1941-02-11',
    postcode: 'SW1A 1AA',
    gpPractice: 'A81001',
  });
  const etag = await api(service.url, 'POST', `/patients/${nhs}/plan`, gp, { sections: demoSections });
  await api(service.url, 'POST', `/patients/${nhs}/plan/ratify`, gp, undefined, etag);

  const perRound = { connections: options.connections, seconds: options.seconds / options.rounds };
  const summaryRuns: Awaited<ReturnType<typeof load>>[] = [];
  const bareRuns: Awaited<ReturnType<typeof load>>[] = [];
  const drainMs: number[] = [];
  for (let i = 0; i < options.rounds; i += 1) {
    if (i > 0) service = await startService();
    summaryRuns.push(await load(service.url, nhs, paramedic, perRound));
    // The answers do not wait for the stream, bus and archive (as in AWS); stopping does: how long
    // their backlog takes to clear is reported beside the ratio, not in it.
    const stopping = performance.now();
    await stop(service.child);
    drainMs.push(performance.now() - stopping);
    const bare = await startChild('bench/bare-server.ts', { DATA_DIR: dataDir });
    bareRuns.push(await load(bare.url, nhs, paramedic, perRound));
    await stop(bare.child);
  }
  const summary = combine(summaryRuns, options.seconds);
  const bare = combine(bareRuns, options.seconds);
  return {
    connections: options.connections,
    seconds: options.seconds,
    rounds: options.rounds,
    httpRps: summary.rps,
    httpMeanMs: summary.meanMs,
    httpP50Ms: summary.p50Ms,
    httpP99Ms: summary.p99Ms,
    requests: summary.requests,
    bareRps: bare.rps,
    bareMeanMs: bare.meanMs,
    bareP50Ms: bare.p50Ms,
    bareP99Ms: bare.p99Ms,
    bareRequests: bare.requests,
    httpRatio: round(bare.rps / summary.rps, 2),
    /** After each round, how long `npm start` took to stop: its stream, bus and archive catching up. */
    httpStopMs: Math.round(Math.max(...drainMs)),
  };
};

/** Rounds taken together: requests over the whole time, mean latency by request, p50 the rounds' mean, p99 their worst. */
const combine = (runs: Awaited<ReturnType<typeof load>>[], seconds: number) => {
  const requests = runs.reduce((sum, r) => sum + r.requests, 0);
  return {
    requests,
    rps: round(requests / seconds, 1),
    meanMs: round(runs.reduce((sum, r) => sum + r.meanMs * r.requests, 0) / requests, 2),
    p50Ms: round(runs.reduce((sum, r) => sum + r.p50Ms, 0) / runs.length, 1),
    p99Ms: Math.max(...runs.map((r) => r.p99Ms)),
  };
};
