import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerFunctions, streamConsumers } from '../../functions/consumers/consumers.ts';
import { issueDevToken } from '../../local/dev-issuer.ts';
import { deployedStreamConsumers, type LocalRuntime, startLocalRuntime } from '../../local/runtime.ts';
import { freshNhsNumber, GP_PRACTICE, profile } from '../support/fixtures.ts';

/** The local runtime runs the table stream's consumers from functions/consumers/consumers.ts, not a list of its own. */

describe('the local table stream', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ucp-stream-'));
  let runtime: LocalRuntime;
  beforeAll(async () => {
    runtime = await startLocalRuntime({
      dataDir,
      port: 0,
      inMemory: true,
      // A new consumer, as a line in consumers.ts would add it.
      streamConsumers: { ...deployedStreamConsumers, probe: 'test/support/probe-consumer.ts' },
    });
  }, 60_000);
  afterAll(async () => {
    await runtime?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('feeds, by default, exactly the stream consumers that are deployed', () => {
    expect(Object.keys(deployedStreamConsumers)).toEqual([...streamConsumers]);
    for (const name of streamConsumers) expect(deployedStreamConsumers[name]).toBe(consumerFunctions[name]);
  });

  it('runs a consumer added to the list on every streamed write', async () => {
    const nhs = freshNhsNumber();
    const token = issueDevToken(dataDir, { role: 'gp', org: GP_PRACTICE });
    const res = await fetch(`${runtime.url}/patients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(profile(nhs)),
    });
    expect(res.status).toBe(201);
    await runtime.settled();
    const { received } = await import('../support/probe-consumer.ts');
    expect(received).toContain('patient');
  }, 60_000);
});
