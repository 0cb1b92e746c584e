import {
  claimDataDir,
  type DataDirClaim,
  dataDirOf,
  LocalError,
  runningServers,
  shellWord,
  withDataDir,
} from './instance.ts';
import { type LocalRuntime, startLocalRuntime } from './runtime.ts';

const started = performance.now();
const dataDir = dataDirOf(process.env);

const portOf = (raw: string | undefined): number => {
  if (raw === undefined || raw === '') return 3000;
  if (/^\d{1,5}$/.test(raw) && Number(raw) <= 65535) return Number(raw);
  throw new LocalError(`PORT must be a port number from 0 to 65535 (0 picks a free one), not "${raw}"`);
};

/** One line for a start that failed in a way the user can fix; undefined for anything else. */
const explain = (err: unknown, port: number): string | undefined => {
  if (err instanceof LocalError) return err.message;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    const other = runningServers().find((s) => new URL(s.url).port === String(port));
    const by = other ? ` by the server of DATA_DIR=${shellWord(other.dataDir)} (pid ${other.pid})` : '';
    return `port ${port} is in use${by}: set PORT to a free port (PORT=0 picks one) or stop the other server`;
  }
  if (code === 'EACCES')
    return `not allowed to listen on port ${port}: set PORT above 1023 (PORT=0 picks a free one)`;
  return undefined;
};

/** The running runtime and its hold on the data directory, or undefined once a failure is reported. */
const start = async (): Promise<{ runtime: LocalRuntime; claim: DataDirClaim } | undefined> => {
  let claim: DataDirClaim | undefined;
  let port = 3000;
  try {
    port = portOf(process.env.PORT);
    // Before anything opens the data: a second server on the same directory stops here, not in LevelDB.
    claim = claimDataDir(dataDir);
    return { runtime: await startLocalRuntime({ dataDir, port }), claim };
  } catch (err) {
    claim?.release();
    const message = explain(err, port);
    if (message === undefined) throw err;
    process.stderr.write(`start: ${message}\n`);
    // No process.exit: the runtime closed what it had opened, so the process ends by itself.
    process.exitCode = 1;
    return undefined;
  }
};

const running = await start();
if (running) {
  const { runtime, claim } = running;
  claim.announce(runtime.url, runtime.table.endpoint);
  process.on('exit', () => claim.release());
  const env = withDataDir(dataDir);
  process.stdout.write(`Urgent Care Plan service on ${runtime.url} (data in ${dataDir}), ready in ${Math.round(performance.now() - started)} ms

  curl ${runtime.url}/health
  TOKEN=$(${env}npm run -s token -- --role gp --org A81001)
  curl -H "Authorization: Bearer $TOKEN" ${runtime.url}/worklist/ratifications
  ${env}npm run seed    # demo patients and plans

API reference: ${runtime.url}/docs (OpenAPI: ${runtime.url}/openapi.json).  Ctrl-C stops.
`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await runtime.close();
    claim.release();
    process.stdout.write('stopped\n');
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', stop);
}
