import { resolve } from 'node:path';
import { startLocalRuntime } from './runtime.ts';

const dataDir = resolve(process.env.DATA_DIR ?? '.data');
const port = Number(process.env.PORT ?? 3000);
const started = performance.now();
const runtime = await startLocalRuntime({ dataDir, port });

process.stdout.write(`Urgent Care Plan service on ${runtime.url} (data in ${dataDir}), ready in ${Math.round(performance.now() - started)} ms

  curl ${runtime.url}/health
  TOKEN=$(npm run -s token -- --role gp --org A81001)
  curl -H "Authorization: Bearer $TOKEN" ${runtime.url}/worklist/ratifications

Demo data: npm run seed.  API reference: ${runtime.url}/docs (OpenAPI: ${runtime.url}/openapi.json).  Ctrl-C stops.
`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await runtime.close();
  process.stdout.write('stopped\n');
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
