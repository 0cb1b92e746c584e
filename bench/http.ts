import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
// @ts-expect-error autocannon ships no type declarations
import autocannon from 'autocannon';
import { keys } from '../functions/platform/table.ts';
import { issueDevToken } from '../local/dev-issuer.ts';
import { demoSections } from './setup.ts';
import { percentile, round } from './stats.ts';

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

/**
 * The local runtime (`npm start`, its own process) under autocannon on the crisis summary, and,
 * for scale, a bare GetItem loop at the same concurrency against a dynalite in its own process.
 */
export const httpLoad = async (options: { connections: number; seconds: number }) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ucp-bench-http-'));
  const { child: server, url } = await startChild('local/server.ts', { DATA_DIR: dataDir, PORT: '0' });
  const nhs = '9434765919';
  const gp = issueDevToken(dataDir, { role: 'gp', org: 'A81001' });
  const paramedic = issueDevToken(dataDir, { role: 'paramedic', org: 'RRU' });
  await api(url, 'POST', '/patients', gp, {
    nhsNumber: nhs,
    name: { given: 'Ada', family: 'Byron' },
    birthDate: '1941-02-11',
    postcode: 'SW1A 1AA',
    gpPractice: 'A81001',
  });
  const etag = await api(url, 'POST', `/patients/${nhs}/plan`, gp, { sections: demoSections });
  await api(url, 'POST', `/patients/${nhs}/plan/ratify`, gp, undefined, etag);

  const result = await autocannon({
    url: `${url}/patients/${nhs}/plan/summary?purpose=bench`,
    connections: options.connections,
    duration: options.seconds,
    headers: { authorization: `Bearer ${paramedic}` },
  });
  await stop(server);
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`summary load: ${result.non2xx} non-2xx, ${result.errors} errors`);

  const { child: store, url: endpoint } = await startChild('bench/dynamo-server.ts', { DATA_DIR: dataDir });
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint,
      region: 'eu-west-2',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    }),
  );
  const latencies: number[] = [];
  const until = performance.now() + options.seconds * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      const start = performance.now();
      await client.send(
        new GetCommand({
          TableName: 'urgent-care-plans',
          Key: { pk: keys.patient(nhs), sk: keys.revision(2) },
        }),
      );
      latencies.push(performance.now() - start);
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  client.destroy();
  await stop(store);
  return {
    connections: options.connections,
    seconds: options.seconds,
    httpRps: round(result.requests.average, 1),
    httpP50Ms: result.latency.p50,
    httpP99Ms: result.latency.p99,
    requests: result.requests.total,
    bareGetItemRps: round(latencies.length / options.seconds, 1),
    bareGetItemP50Ms: round(percentile(latencies, 50)),
    bareGetItemP99Ms: round(percentile(latencies, 99)),
  };
};
