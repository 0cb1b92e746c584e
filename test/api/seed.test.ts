import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from './harness.ts';

/** `npm run seed` against a running service: the demo data goes in through the API, rules and all. */
let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});

describe('npm run seed', () => {
  it('loads five demo patients, each in the state its story says', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['local/seed.ts'], {
      env: { ...process.env, BASE_URL: api.url, DATA_DIR: api.dataDir },
    });
    const seeded = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .slice(0, -1)
        .map((line) => line.split(/\s+/)),
    );
    expect(Object.values(seeded)).toEqual([
      'published',
      'submitted',
      'hospiceDraft',
      'amending',
      'withdrawn',
    ]);
    const statusOf = async (nhs: string) =>
      (await api.call('GET', `/patients/${nhs}/plan`, { token: api.token({ role: 'patient', nhs }) })).body
        .status;
    const byStory = Object.fromEntries(Object.entries(seeded).map(([nhs, story]) => [story, nhs]));
    expect(await statusOf(byStory.published as string)).toBe('published');
    expect(await statusOf(byStory.submitted as string)).toBe('submitted');
    expect(await statusOf(byStory.hospiceDraft as string)).toBe('draft');
    expect(await statusOf(byStory.amending as string)).toBe('published');
    expect(await statusOf(byStory.withdrawn as string)).toBe('withdrawn');
    // The published patient's daughter acts for her by a co-author grant, as herself.
    const carerNhs = /--role carer --nhs (\d{10})/.exec(stdout)?.[1] as string;
    const carer = api.token({ role: 'carer', nhs: carerNhs });
    const read = await api.call('GET', `/patients/${byStory.published}/plan`, { token: carer });
    expect(read.status).toBe(200);
    const team = await api.call('GET', `/patients/${byStory.published}/care-team`, { token: carer });
    expect(team.body.items.map((m: { organisation: string }) => m.organisation)).toContain('H12345');

    // The demo host system it registered: `npm run launch` signs as it, as the README shows.
    const published = byStory.published as string;
    const { stdout: assertion } = await promisify(execFile)(
      process.execPath,
      ['local/launch.ts', '--host', 'demo-emis', '--role', 'gp', '--org', 'A81001', '--patient', published],
      { env: { ...process.env, DATA_DIR: api.dataDir } },
    );
    const exchanged = await api.call('POST', '/token', {
      raw: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: assertion.trim(),
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(exchanged.status, exchanged.text).toBe(200);
    const plan = await api.call('GET', `/patients/${published}/plan`, { token: exchanged.body.access_token });
    expect(plan.body.status).toBe('published');
    // Seeding again brings the host's entry up to date without a new revision.
    await promisify(execFile)(process.execPath, ['local/seed.ts'], {
      env: { ...process.env, BASE_URL: api.url, DATA_DIR: api.dataDir },
    });
    const host = await api.call('GET', '/host-systems/demo-emis', { token: api.token({ role: 'admin' }) });
    expect(host.body).toMatchObject({ revision: 1, organisations: expect.arrayContaining(['A81001']) });
  });
});
