import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm start`, `npm run token` and `npm run seed` as a newcomer runs them: real processes, each
 * server on its own DATA_DIR and port, tokens checked by the server that has to accept them.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'ucp-one-machine-'));
const dir = (name: string) => join(scratch, name);
// Every process here announces and looks in this run dir, so servers outside the test do not count.
const runDir = dir('run');
const { DATA_DIR: _d, PORT: _p, BASE_URL: _b, ...inherited } = process.env;
const baseEnv = { ...inherited, XDG_RUNTIME_DIR: runDir, POWERTOOLS_LOG_LEVEL: 'ERROR' };
const slow = { timeout: 120_000 };

type Ran = { code: number | null; stdout: string; stderr: string };

/** Runs to the end (killed after 60 s, so a process that never ends fails the test rather than hangs it). */
const run = (file: string, args: string[], env: Record<string, string> = {}) =>
  new Promise<Ran>((resolve, reject) => {
    const child = spawn(file, args, { cwd: root, env: { ...baseEnv, ...env }, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
const sh = (script: string, env: Record<string, string> = {}) => run('bash', ['-c', script], env);
const startUntilExit = (env: { DATA_DIR: string; PORT: string }) =>
  run(process.execPath, ['local/server.ts'], env);

type Running = { child: ChildProcess; url: string; port: number; banner: string; dataDir: string };
const servers: Running[] = [];

/** `npm start` with DATA_DIR and PORT, resolved once its banner is out. */
const start = (env: { DATA_DIR: string; PORT: string }) =>
  new Promise<Running>((resolve, reject) => {
    const child = spawn(process.execPath, ['local/server.ts'], { cwd: root, env: { ...baseEnv, ...env } });
    let out = '';
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (url && out.includes('Ctrl-C stops.')) {
        const running = { child, url: url[0], port: Number(url[1]), banner: out, dataDir: env.DATA_DIR };
        servers.push(running);
        resolve(running);
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${err}`)));
  });

const stop = (server: Running, signal: NodeJS.Signals = 'SIGTERM') =>
  new Promise<number | null>((resolve) => {
    servers.splice(servers.indexOf(server), 1);
    server.child.removeAllListeners('exit');
    if (server.child.exitCode !== null) return resolve(server.child.exitCode);
    server.child.once('exit', (code) => resolve(code));
    server.child.kill(signal);
  });

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

const worklist = (url: string, token: string) =>
  fetch(`${url}/worklist/ratifications`, { headers: { Authorization: `Bearer ${token}` } });

/** Exactly one line on stderr, with no stack trace. */
const oneLine = (stderr: string): string => {
  expect(stderr).toMatch(/^[^\n]+\n$/);
  expect(stderr).not.toMatch(/\n\s+at |node:internal|Error:/);
  return stderr.trimEnd();
};

const defaultIssuer = join(root, '.data', 'issuer');
const hadDefaultKeys = existsSync(defaultIssuer);

let first: Running;
beforeAll(async () => {
  first = await start({ DATA_DIR: dir('first'), PORT: String(await freePort()) });
}, 120_000);

afterAll(async () => {
  await Promise.all([...servers].map((server) => stop(server)));
  rmSync(scratch, { recursive: true, force: true });
});

describe('npm start with DATA_DIR and PORT set', slow, () => {
  it("prints commands that work as printed: the token is the server's, and seed reaches it", async () => {
    const commands = first.banner
      .split('\n')
      .filter((line) => line.startsWith('  '))
      .map((line) => line.trim());
    expect(commands).toHaveLength(4);
    expect(commands.join('\n')).toContain(`DATA_DIR=${first.dataDir} npm run`);
    // As printed, in one shell (the token line sets TOKEN for the next); a marker after each to tell outputs apart.
    const ran = await sh(`set -e\n${commands.map((c) => `${c}\necho; echo '<end>'`).join('\n')}`);
    expect(ran.code).toBe(0);
    const [health, tokenLine, worklistBody, seeded] = ran.stdout.split('<end>').map((s) => s.trim());
    expect(JSON.parse(health as string)).toEqual({ status: 'ok' });
    expect(tokenLine).toBe('');
    expect(JSON.parse(worklistBody as string)).toEqual(expect.objectContaining({ items: [] }));
    expect(seeded).toContain(`seeded 7 patients into ${first.url}`);
  });

  it('token and seed without DATA_DIR find the one running server, and make no key pair of their own', async () => {
    const token = await sh('npm run -s token -- --role gp --org A81001');
    expect(token.code, token.stderr).toBe(0);
    expect((await worklist(first.url, token.stdout.trim())).status).toBe(200);

    const seeded = await sh('npm run -s seed');
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(seeded.stdout).toContain(`seeded 7 patients into ${first.url}`);
    expect(existsSync(defaultIssuer)).toBe(hadDefaultKeys);
  });

  it('refuses a second server on its data directory in one line naming the first, which keeps serving', async () => {
    const second = await startUntilExit({ DATA_DIR: first.dataDir, PORT: '0' });
    expect(second.code).toBe(1);
    expect(second.stdout).toBe('');
    expect(oneLine(second.stderr)).toBe(
      `start: data directory ${first.dataDir} is in use by the server on ${first.url} (pid ${first.child.pid}): stop it, or set DATA_DIR to another directory`,
    );
    expect((await fetch(`${first.url}/health`)).status).toBe(200);
  });

  it('on a port in use says so in one line and ends by itself, its data directory released', async () => {
    // The process must end without being killed: dynalite and s3rver closed, nothing left running.
    const ours = await startUntilExit({ DATA_DIR: dir('same-port'), PORT: String(first.port) });
    expect(ours.code).toBe(1);
    expect(oneLine(ours.stderr)).toBe(
      `start: port ${first.port} is in use by the server of DATA_DIR=${first.dataDir} (pid ${first.child.pid}): set PORT to a free port (PORT=0 picks one) or stop the other server`,
    );
    expect(existsSync(join(dir('same-port'), 'server.json'))).toBe(false);
    // Starts there once the port is free: nothing of the failed start holds the data directory.
    const later = await start({ DATA_DIR: dir('same-port'), PORT: '0' });
    await stop(later);

    const foreign: Server = await new Promise((resolve) => {
      const held = createServer().listen(0, '127.0.0.1', () => resolve(held));
    });
    const port = (foreign.address() as { port: number }).port;
    const theirs = await startUntilExit({ DATA_DIR: dir('foreign-port'), PORT: String(port) });
    foreign.close();
    expect(theirs.code).toBe(1);
    expect(oneLine(theirs.stderr)).toBe(
      `start: port ${port} is in use: set PORT to a free port (PORT=0 picks one) or stop the other server`,
    );
  });

  it('refuses a PORT that is not a port number, in one line', async () => {
    const ran = await startUntilExit({ DATA_DIR: dir('bad-port'), PORT: 'http' });
    expect(ran.code).toBe(1);
    expect(oneLine(ran.stderr)).toBe(
      'start: PORT must be a port number from 0 to 65535 (0 picks a free one), not "http"',
    );
  });
});

describe('with two servers running', slow, () => {
  it('token and seed without DATA_DIR refuse in one line saying how to choose; DATA_DIR chooses', async () => {
    const second = await start({ DATA_DIR: dir('second'), PORT: '0' });
    for (const command of ['npm run -s token -- --role gp --org A81001', 'npm run -s seed']) {
      const ran = await sh(command);
      expect(ran.code, command).toBe(1);
      const line = oneLine(ran.stderr);
      expect(line).toMatch(/^(token|seed): 2 servers are running: say which with /);
      expect(line).toContain(`DATA_DIR=${first.dataDir} (${first.url})`);
      expect(line).toContain(`DATA_DIR=${second.dataDir} (${second.url})`);
    }

    const chosen = await sh('npm run -s token -- --role gp --org A81001', { DATA_DIR: second.dataDir });
    expect(chosen.code, chosen.stderr).toBe(0);
    expect((await worklist(second.url, chosen.stdout.trim())).status).toBe(200);
    // Each server trusts only its own keys: a token signed elsewhere is what a newcomer used to get.
    expect((await worklist(first.url, chosen.stdout.trim())).status).toBe(401);

    const seeded = await sh('npm run -s seed', { DATA_DIR: second.dataDir });
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(seeded.stdout).toContain(`seeded 7 patients into ${second.url}`);

    expect(await stop(second)).toBe(0);
    expect(existsSync(join(second.dataDir, 'server.json'))).toBe(false);
    expect(readdirSync(join(runDir, 'urgent-care-plans'))).toEqual([`${first.child.pid}.json`]);
  });
});

describe('with no server on the data directory', slow, () => {
  it('seed says so in one line; token refuses rather than make a key pair no server knows', async () => {
    const empty = dir('empty');
    const seeded = await sh('npm run -s seed', { DATA_DIR: empty });
    expect(seeded.code).toBe(1);
    expect(oneLine(seeded.stderr)).toBe(
      `seed: no server is running with DATA_DIR=${empty}: start one with DATA_DIR=${empty} npm start, then seed again`,
    );
    const token = await sh('npm run -s token -- --role gp --org A81001', { DATA_DIR: empty });
    expect(token.code).toBe(1);
    expect(oneLine(token.stderr)).toBe(
      `token: ${empty} has no signing keys yet: start the server with DATA_DIR=${empty} npm start first`,
    );
    expect(existsSync(join(empty, 'issuer'))).toBe(false);
    expect(token.stdout).toBe('');

    const nobody = `http://127.0.0.1:${await freePort()}`;
    const unreachable = await sh('npm run -s seed', { DATA_DIR: first.dataDir, BASE_URL: nobody });
    expect(unreachable.code).toBe(1);
    expect(oneLine(unreachable.stderr)).toBe(
      `seed: cannot reach ${nobody} (ECONNREFUSED): is the server still running?`,
    );
  });

  it('a killed server blocks nothing: it starts again on the same directory and port', async () => {
    const killed = await start({ DATA_DIR: dir('killed'), PORT: '0' });
    await stop(killed, 'SIGKILL');
    // Its records are left behind, naming a process that is gone.
    expect(existsSync(join(killed.dataDir, 'server.json'))).toBe(true);
    expect(readdirSync(join(runDir, 'urgent-care-plans'))).toContain(`${killed.child.pid}.json`);

    const again = await start({ DATA_DIR: killed.dataDir, PORT: String(killed.port) });
    expect(again.url).toBe(killed.url);
    const token = await sh('npm run -s token -- --role gp --org A81001', { DATA_DIR: killed.dataDir });
    expect((await worklist(again.url, token.stdout.trim())).status).toBe(200);
    // Without DATA_DIR, the dead one's record is not a third server to choose from.
    const ambiguous = await sh('npm run -s token -- --role gp --org A81001');
    expect(oneLine(ambiguous.stderr)).toMatch(/^token: 2 servers are running/);
    expect(readdirSync(join(runDir, 'urgent-care-plans'))).not.toContain(`${killed.child.pid}.json`);
    await stop(again);
  });
});
