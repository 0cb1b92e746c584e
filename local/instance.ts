import {
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { hasDevKeys } from './dev-issuer.ts';

/**
 * How `npm start`, `npm run token` and `npm run seed` agree on one server without being told.
 *
 * A running server announces itself twice, with the same record (pid, data directory, URL):
 * - `<data dir>/server.json` locks the data directory: made exclusively before anything opens the
 *   data, given the URL once listening, removed on stop. One whose pid is dead is stale and taken over.
 * - `<run dir>/<pid>.json`, where `token` and `seed` look when DATA_DIR is not set. The run dir is
 *   per user: `$XDG_RUNTIME_DIR/urgent-care-plans`, else `<tmpdir>/urgent-care-plans-<uid>`.
 */

/** A failure the person at the terminal can act on: printed as one line, no stack trace. */
export class LocalError extends Error {}

/**
 * How `npm run token` and `npm run launch` fail: a `LocalError` (the machine's state, say no server
 * running) as one line and exit 1; anything else is the command line's fault: its usage, exit 2.
 */
export const failCommand = (tool: string, usage: string, err: unknown): void => {
  if (err instanceof LocalError) {
    process.stderr.write(`${tool}: ${err.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`${tool}: ${err instanceof Error ? err.message : String(err)}\n${usage}\n`);
    process.exitCode = 2;
  }
};

type Env = Record<string, string | undefined>;

export const defaultDataDir = fileURLToPath(new URL('../.data', import.meta.url));

/** DATA_DIR made absolute, or the project's `.data/`. */
export const dataDirOf = (env: Env): string => (env.DATA_DIR ? resolve(env.DATA_DIR) : defaultDataDir);

const Instance = z.object({
  pid: z.number().int().positive(),
  dataDir: z.string(),
  url: z.url().optional(),
  /** Its DynamoDB-protocol server: where `reminders` and `rebuild-projections` reach the table. */
  dynamodb: z.url().optional(),
});
export type Instance = z.infer<typeof Instance>;
export type RunningServer = Instance & { url: string };

/** A word the shell reads back as is: quoted only when it has to be. */
export const shellWord = (value: string): string =>
  /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;

/** What to put before `npm ...` so a command reaches this data directory: nothing for the default one. */
export const withDataDir = (dataDir: string): string =>
  dataDir === defaultDataDir ? '' : `DATA_DIR=${shellWord(dataDir)} `;

const instanceFile = (dataDir: string) => join(dataDir, 'server.json');

const readInstance = (file: string): Instance | undefined => {
  try {
    return Instance.safeParse(JSON.parse(readFileSync(file, 'utf8'))).data;
  } catch {
    return undefined;
  }
};

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process its parent has not reaped yet (common in containers) still takes signal 0; Linux says Z.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return true;
  }
};

/** The live process holding dataDir, if any. */
const holderOf = (dataDir: string): Instance | undefined => {
  const held = readInstance(instanceFile(dataDir));
  return held && isAlive(held.pid) ? held : undefined;
};

/** Writes the whole file then links it into place, so readers never see half of it; false if the file exists. */
const createExclusive = (file: string, record: Instance): boolean => {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record)}\n`);
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
};

const replace = (file: string, record: Instance): void => {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record)}\n`);
  renameSync(tmp, file);
};

/** The per-user run dir, if it is ours: a directory (not a link) owned by this user, so nobody else can plant servers in it. */
const runDir = (env: Env, create: boolean): string | undefined => {
  const dir = env.XDG_RUNTIME_DIR
    ? join(env.XDG_RUNTIME_DIR, 'urgent-care-plans')
    : join(tmpdir(), `urgent-care-plans-${process.getuid?.() ?? userInfo().username}`);
  try {
    if (create) mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
    const uid = process.getuid?.();
    return stat.isDirectory() && (uid === undefined || stat.uid === uid) ? dir : undefined;
  } catch {
    return undefined;
  }
};

/** The live server holding dataDir, once it is listening. */
const serverOf = (dataDir: string): RunningServer | undefined => {
  const holder = holderOf(dataDir);
  return holder?.url ? { ...holder, url: holder.url } : undefined;
};

const inUse = (holder: Instance): string =>
  `data directory ${holder.dataDir} is in use by the server ${holder.url ? `on ${holder.url}` : 'starting'} (pid ${holder.pid}): stop it, or set DATA_DIR to another directory`;

export type DataDirClaim = {
  /** Records the URL (and the table's endpoint), in the data directory and where token and seed look. */
  announce(url: string, dynamodb?: string): void;
  /** Removes both records; synchronous, so it can run on process exit. */
  release(): void;
};

/** Takes dataDir for this process before anything opens it; a LocalError if a live server has it. */
export function claimDataDir(dataDir: string, env: Env = process.env): DataDirClaim {
  mkdirSync(dataDir, { recursive: true });
  const file = instanceFile(dataDir);
  const mine: Instance = { pid: process.pid, dataDir };
  for (let attempt = 0; !createExclusive(file, mine); attempt += 1) {
    const holder = holderOf(dataDir);
    // A record naming this very process is stale: its pid came round again (a container, say).
    if (holder && holder.pid !== process.pid) throw new LocalError(inUse(holder));
    if (attempt === 2)
      throw new LocalError(`cannot lock data directory ${dataDir}: remove ${file} and retry`);
    // Stale: its server was killed, or the machine restarted.
    rmSync(file, { force: true });
  }
  let entry: string | undefined;
  return {
    announce(url, dynamodb) {
      const announced = { ...mine, url, ...(dynamodb && { dynamodb }) };
      replace(file, announced);
      const dir = runDir(env, true);
      if (!dir) return;
      entry = join(dir, `${process.pid}.json`);
      replace(entry, announced);
    },
    release() {
      if (readInstance(file)?.pid === process.pid) rmSync(file, { force: true });
      if (entry) rmSync(entry, { force: true });
    },
  };
}

/** The servers running now: those announced in the run dir whose data directory still names them. */
export function runningServers(env: Env = process.env): RunningServer[] {
  const found = new Map<string, RunningServer>();
  const dir = runDir(env, false);
  for (const name of dir ? readdirSync(dir).filter((n) => n.endsWith('.json')) : []) {
    const path = join(dir as string, name);
    const entry = readInstance(path);
    const server = entry && serverOf(entry.dataDir);
    if (server && server.pid === entry?.pid) found.set(server.dataDir, server);
    else if (!entry || !isAlive(entry.pid)) rmSync(path, { force: true });
  }
  return [...found.values()].sort((a, b) => a.url.localeCompare(b.url));
}

/**
 * Where `token` and `seed` sign and send: DATA_DIR if set; else the one running server; else
 * `.data/`. A LocalError when several servers run and DATA_DIR does not say which.
 */
export function locate(env: Env = process.env): { dataDir: string; server?: RunningServer } {
  if (env.DATA_DIR) {
    const dataDir = dataDirOf(env);
    const server = serverOf(dataDir);
    return { dataDir, ...(server && { server }) };
  }
  const servers = runningServers(env);
  if (servers.length > 1)
    throw new LocalError(
      `${servers.length} servers are running: say which with ${servers
        .map((s) => `DATA_DIR=${shellWord(s.dataDir)} (${s.url})`)
        .join(' or ')}`,
    );
  const [server] = servers;
  if (server) return { dataDir: server.dataDir, server };
  // The default server's own record, should its run dir entry be gone (a tmp cleaner, say).
  const local = serverOf(defaultDataDir);
  return { dataDir: defaultDataDir, ...(local && { server: local }) };
}

/** The data directory whose keys sign tokens the server accepts; a LocalError rather than a new key pair. */
export function signingDataDir(env: Env = process.env): string {
  const { dataDir } = locate(env);
  if (hasDevKeys(dataDir)) return dataDir;
  throw new LocalError(
    env.DATA_DIR
      ? `${dataDir} has no signing keys yet: start the server with ${withDataDir(dataDir)}npm start first`
      : 'no server is running and .data has no signing keys yet: start one with npm start first (or set DATA_DIR to the data directory of the one you started)',
  );
}
