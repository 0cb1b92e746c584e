import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  claimDataDir,
  dataDirOf,
  defaultDataDir,
  LocalError,
  locate,
  runningServers,
  shellWord,
  withDataDir,
} from '../../local/instance.ts';

let scratch: string;
let env: { XDG_RUNTIME_DIR: string };
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'ucp-instance-'));
  env = { XDG_RUNTIME_DIR: join(scratch, 'run') };
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

/** Another process, alive until the returned stop is called. */
const otherProcess = () => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
  return {
    pid: child.pid as number,
    stop: () => new Promise((resolve) => child.once('exit', resolve).kill()),
  };
};

const serverFile = (dataDir: string, record: object) => {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'server.json'), JSON.stringify(record));
};

describe('the commands the banner prints', () => {
  it('name no DATA_DIR for the default data directory, and one the shell reads back for any other', () => {
    expect(dataDirOf({})).toBe(defaultDataDir);
    expect(withDataDir(defaultDataDir)).toBe('');
    expect(withDataDir('/tmp/ucp')).toBe('DATA_DIR=/tmp/ucp ');
    for (const path of ['/tmp/my data', "/tmp/it's", '/tmp/$HOME/`x`', '/tmp/a;b', '/tmp/plain-1.2_x']) {
      expect(execFileSync('bash', ['-c', `printf %s ${shellWord(path)}`], { encoding: 'utf8' })).toBe(path);
    }
  });
});

describe('claiming a data directory', () => {
  it('records this process, then its URL where token and seed look, and removes both on release', () => {
    const dataDir = join(scratch, 'data');
    const claim = claimDataDir(dataDir, env);
    expect(JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8'))).toEqual({
      pid: process.pid,
      dataDir,
    });
    expect(runningServers(env)).toEqual([]);

    claim.announce('http://127.0.0.1:3999');
    const server = { pid: process.pid, dataDir, url: 'http://127.0.0.1:3999' };
    expect(
      JSON.parse(readFileSync(join(env.XDG_RUNTIME_DIR, 'urgent-care-plans', `${process.pid}.json`), 'utf8')),
    ).toEqual(server);
    expect(locate({ ...env, DATA_DIR: dataDir })).toEqual({ dataDir, server });

    claim.release();
    expect(locate({ ...env, DATA_DIR: dataDir })).toEqual({ dataDir });
    expect(runningServers(env)).toEqual([]);
  });

  it('is refused while another live process holds it, naming that process', async () => {
    const other = otherProcess();
    try {
      const dataDir = join(scratch, 'held');
      serverFile(dataDir, { pid: other.pid, dataDir, url: 'http://127.0.0.1:3998' });
      expect(() => claimDataDir(dataDir, env)).toThrow(LocalError);
      expect(() => claimDataDir(dataDir, env)).toThrow(
        `data directory ${dataDir} is in use by the server on http://127.0.0.1:3998 (pid ${other.pid})`,
      );
    } finally {
      await other.stop();
    }
  });

  it('takes over a record whose process has ended', async () => {
    const ended = otherProcess();
    await ended.stop();
    const dataDir = join(scratch, 'stale');
    serverFile(dataDir, { pid: ended.pid, dataDir, url: 'http://127.0.0.1:3997' });
    const claim = claimDataDir(dataDir, env);
    expect(JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')).pid).toBe(process.pid);
    claim.release();
  });

  it.runIf(process.platform === 'linux')(
    'takes over a record of a killed process not yet reaped',
    async () => {
      // `sleep 0.1` ends under a parent (exec'd into `sleep 60`) that never reaps it: a zombie.
      const parent = spawn('bash', ['-c', 'sleep 0.1 & echo $!; exec sleep 60']);
      const zombie = Number(await new Promise<string>((resolve) => parent.stdout.once('data', resolve)));
      try {
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(readFileSync(`/proc/${zombie}/stat`, 'utf8')).toMatch(/\) Z /);
        const dataDir = join(scratch, 'zombie');
        serverFile(dataDir, { pid: zombie, dataDir, url: 'http://127.0.0.1:3994' });
        claimDataDir(dataDir, env).release();
      } finally {
        parent.kill();
      }
    },
  );
});

describe('finding the running server', () => {
  it('lists only announced servers whose data directory still names them, and drops dead records', async () => {
    const live = otherProcess();
    const ended = otherProcess();
    await ended.stop();
    try {
      const runDir = join(env.XDG_RUNTIME_DIR, 'urgent-care-plans');
      mkdirSync(runDir, { recursive: true });
      const announce = (name: string, pid: number, url: string) => {
        const record = { pid, dataDir: join(scratch, name), url };
        serverFile(record.dataDir, record);
        writeFileSync(join(runDir, `${pid}.json`), JSON.stringify(record));
        return record;
      };
      const a = announce('a', live.pid, 'http://127.0.0.1:3996');
      announce('b', ended.pid, 'http://127.0.0.1:3995');

      expect(runningServers(env)).toEqual([a]);
      expect(locate(env)).toEqual({ dataDir: a.dataDir, server: a });
      expect(existsSync(join(runDir, `${ended.pid}.json`))).toBe(false);
    } finally {
      await live.stop();
    }
  });
});
