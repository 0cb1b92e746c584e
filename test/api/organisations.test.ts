import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, enrolment, etagOf, expectProblem, startApi, testNhsNumber } from './harness.ts';

/**
 * The organisation registry over real HTTP: who may change where an organisation's alerts go,
 * and what a change leaves behind: an email to the old address and the new, and an archived
 * `Organisation.Updated` event, with nothing about any patient in either.
 */
let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});

const PRACTICE = 'A81001';
const OTHER = 'B82002';
const nhs = testNhsNumber(60);
const practice = {
  name: 'Riverside Surgery',
  kind: 'gp_practice',
  notificationEmail: 'inbox@a81001.nhs.example',
  privacyOfficerEmail: 'ig@a81001.nhs.example',
};

describe('the organisation registry', () => {
  it("its own admin edits its entry, another's admin may not, a service administrator edits any", async () => {
    const service = api.token({ role: 'admin', sub: 'ops.lead' });
    const own = api.token({ role: 'admin', org: PRACTICE, sub: 'practice.manager' });
    const other = api.token({ role: 'admin', org: OTHER, sub: 'other.manager' });

    const registered = await api.call('PUT', `/organisations/${PRACTICE}`, {
      token: service,
      json: practice,
    });
    expect(registered.status).toBe(201);
    expect(etagOf(registered)).toBe('"1"');

    // A patient of the practice, so the check below that nothing about them leaks is not vacuous.
    const patient = api.token({ role: 'patient', nhs });
    expect((await api.call('POST', '/patients', { token: patient, json: enrolment(nhs) })).status).toBe(201);

    const read = await api.call('GET', `/organisations/${PRACTICE}`, { token: own });
    expect(read.status).toBe(200);
    const edited = await api.call('PUT', `/organisations/${PRACTICE}`, {
      token: own,
      json: { ...practice, notificationEmail: 'new-inbox@a81001.nhs.example' },
      headers: { 'if-match': etagOf(read) },
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({
      ods: PRACTICE,
      revision: 2,
      notificationEmail: 'new-inbox@a81001.nhs.example',
      updatedBy: { id: 'practice.manager', role: 'admin', organisation: PRACTICE },
    });

    const hijack = await api.call('PUT', `/organisations/${PRACTICE}`, {
      token: other,
      json: { ...practice, privacyOfficerEmail: 'attacker@example.org' },
      headers: { 'if-match': etagOf(edited) },
    });
    expectProblem(hijack, 403);
    expectProblem(await api.call('GET', `/organisations/${PRACTICE}`, { token: other }), 403);

    const stale = await api.call('PUT', `/organisations/${PRACTICE}`, {
      token: service,
      json: { ...practice, name: 'Riverside Medical Centre' },
      headers: { 'if-match': '"1"' },
    });
    expectProblem(stale, 412);
    expect(stale.body.currentRevision).toBe(2);
    expectProblem(
      await api.call('PUT', `/organisations/${PRACTICE}`, { token: service, json: practice }),
      428,
    );

    const byService = await api.call('PUT', `/organisations/${PRACTICE}`, {
      token: service,
      json: {
        ...practice,
        notificationEmail: 'new-inbox@a81001.nhs.example',
        name: 'Riverside Medical Centre',
      },
      headers: { 'if-match': etagOf(edited) },
    });
    expect(byService.status).toBe(200);
    expect(byService.body).toMatchObject({ name: 'Riverside Medical Centre', revision: 3 });
    expect((await api.call('GET', `/organisations/${PRACTICE}`, { token: own })).body).toMatchObject({
      privacyOfficerEmail: practice.privacyOfficerEmail,
      revision: 3,
    });
    await api.runtime.settled();

    // The address change told the old address and the new one, by whom; the rename told no one.
    const changeMessages = api.outbox().filter((m) => m.includes('->'));
    const changedTo = changeMessages.map((m) => /^To: (.*)$/m.exec(m)?.[1]).sort();
    expect(changedTo).toEqual([
      'ig@a81001.nhs.example', // registered: (none) -> the privacy officer's address
      'inbox@a81001.nhs.example', // registered, then told its alerts moved away
      'inbox@a81001.nhs.example',
      'new-inbox@a81001.nhs.example', // the new address
    ]);
    const moved = changeMessages.filter((m) =>
      m.includes('inbox@a81001.nhs.example -> new-inbox@a81001.nhs.example'),
    );
    expect(moved.map((m) => /^To: (.*)$/m.exec(m)?.[1]).sort()).toEqual([
      'inbox@a81001.nhs.example',
      'new-inbox@a81001.nhs.example',
    ]);
    for (const message of moved) {
      expect(message).toContain(`Subject: Urgent care plan alerts for ${PRACTICE}: address changed`);
      expect(message).toContain(`changed by practice.manager, admin of ${PRACTICE}`);
    }
    expect(api.outbox().some((m) => m.includes('attacker@example.org'))).toBe(false);

    // Every change is audited: one archived event per revision, naming the fields and addresses.
    const updates = (await api.archived())
      .map(({ event }) => event)
      .filter((e) => e['detail-type'] === 'Organisation.Updated');
    expect(updates.map((e) => e.detail.revision).sort()).toEqual([1, 2, 3]);
    expect(updates.find((e) => e.detail.revision === 2)?.detail).toEqual({
      eventId: expect.any(String),
      version: 1,
      ods: PRACTICE,
      revision: 2,
      updatedBy: { id: 'practice.manager', role: 'admin', organisation: PRACTICE },
      changedFields: ['notificationEmail'],
      addressChanges: [
        {
          field: 'notificationEmail',
          from: 'inbox@a81001.nhs.example',
          to: 'new-inbox@a81001.nhs.example',
        },
      ],
    });
    expect(updates.find((e) => e.detail.revision === 3)?.detail).toMatchObject({
      updatedBy: { id: 'ops.lead', role: 'admin' },
      changedFields: ['name'],
      addressChanges: [],
    });

    // Nothing about any patient in the registry's messages or events.
    for (const text of [...changeMessages, ...updates.map((e) => JSON.stringify(e))]) {
      for (const secret of [nhs, 'Ada', 'Byron', 'SW1A 1AA']) expect(text).not.toContain(secret);
    }
  }, 60_000);

  it('staff other than admins, and patients, may not touch it', async () => {
    for (const token of [
      api.token({ role: 'gp', org: PRACTICE }),
      api.token({ role: 'privacy_officer', org: PRACTICE }),
      api.token({ role: 'patient', nhs }),
    ]) {
      expectProblem(await api.call('GET', `/organisations/${PRACTICE}`, { token }), 403);
      expectProblem(await api.call('PUT', `/organisations/${PRACTICE}`, { token, json: practice }), 403);
    }
  }, 60_000);
});
