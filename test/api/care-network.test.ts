import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { carers } from '../../functions/platform/composition-root.ts';
import {
  type Api,
  type ApiResponse,
  carerGrant,
  enrolment,
  etagOf,
  expectProblem,
  rehearsed,
  startApi,
  testNhsNumber,
} from './harness.ts';

/**
 * The care network over real HTTP (issue 10): carers act for a patient only by the patient's
 * grant, checked on every request; the care team is kept by its clinicians and the patient sees
 * each change; each organisation lists its patients. Events reach the archive and the outbox.
 */

let api: Api;
beforeAll(async () => {
  api = await startApi();
  const admin = api.token({ role: 'admin' });
  for (const [ods, kind, email] of [
    [GP_PRACTICE, 'gp_practice', 'practice@a81001.nhs.example'],
    [HOSPICE, 'hospice', 'referrals@h12345.hospice.example'],
  ] as const) {
    const put = await api.call('PUT', `/organisations/${ods}`, {
      token: admin,
      json: { name: `Organisation ${ods}`, kind, notificationEmail: email },
    });
    expect(put.status).toBe(201);
  }
}, 60_000);
afterAll(async () => {
  await api?.close();
});

const GP_PRACTICE = 'A81001';
const HOSPICE = 'H12345';
const COMMUNITY = 'RYX01';
const aboutMe = { aboutMe: { whatMattersToMe: 'Mum wants to stay at home with her cat' } };
const dnacpr = {
  cpr: { decision: 'dnacpr', decisionDate: '2026-11-20', decidedBy: { name: 'Dr A Patel', role: 'gp' } },
};
const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

let next = 600;
/** A patient enrolled (with an email for notifications) with a draft of their own. */
const patientWithDraft = async () => {
  const nhs = testNhsNumber(next++);
  const patient = api.token({ role: 'patient', nhs, sub: `patient-${nhs}` });
  const enrolled = await api.call('POST', '/patients', {
    token: patient,
    json: enrolment(nhs, { email: `patient-${nhs}@example.org` }),
  });
  expect(enrolled.status).toBe(201);
  const created = await api.call('POST', `/patients/${nhs}/plan`, {
    token: patient,
    json: { sections: { preferences: { preferredPlaceOfDeath: { code: 'home' } } } },
  });
  expect(created.status).toBe(201);
  return { nhs, patient };
};

/** Its GP writes the clinician's sections and ratifies: version 1 is published and shared. */
const publish = async (nhs: string, patient: string) => {
  const gp = api.token({ role: 'gp', org: GP_PRACTICE, sub: 'dr.patel' });
  const current = await api.call('GET', `/patients/${nhs}/plan`, { token: patient });
  const edited = await api.call('PATCH', `/patients/${nhs}/plan`, {
    token: gp,
    headers: { 'if-match': etagOf(current) },
    json: { sections: { ...dnacpr, review: { date: '2027-05-20' } } },
  });
  expect(edited.status).toBe(200);
  const ratified = await api.call('POST', `/patients/${nhs}/plan/ratify`, {
    token: gp,
    headers: { 'if-match': etagOf(edited) },
  });
  expect(ratified.status).toBe(200);
  return gp;
};

const planOf = (nhs: string, token: string) => api.call('GET', `/patients/${nhs}/plan`, { token });
const editAboutMe = async (nhs: string, token: string, owner: string) => {
  const current = await planOf(nhs, owner);
  return api.call('PATCH', `/patients/${nhs}/plan`, {
    token,
    headers: { 'if-match': etagOf(current) },
    json: { sections: aboutMe },
  });
};
const accessLog = async (nhs: string, patient: string) => {
  const log = await api.call('GET', `/patients/${nhs}/access-log?limit=200`, { token: patient });
  expect(log.status).toBe(200);
  return log.body.items as {
    action: string;
    actor: { role: string };
    onBehalfOf?: string;
    grantId?: string;
  }[];
};
const archivedOfType = async (type: string, nhs: string) =>
  (await api.archived()).filter((a) => a.event['detail-type'] === type && a.event.detail.nhsNumber === nhs);
const emailsTo = (address: string) => api.outbox().filter((eml) => eml.includes(`To: ${address}`));

describe('carers act for a patient only by the patient’s grant', () => {
  it('no grant 403; co-author edits aboutMe, not cpr; the access log says for whom; revoked, 403 again', async () => {
    const { nhs, patient } = await patientWithDraft();
    const carerNhs = testNhsNumber(next++);
    const carer = api.token({ role: 'carer', nhs: carerNhs, sub: 'carer-ruth' });
    const stranger = api.token({ role: 'patient', nhs: testNhsNumber(next++) });

    // Without a grant, the same 403 as any other citizen asking about someone else: nothing learnt.
    const before = await planOf(nhs, carer);
    expectProblem(before, 403);
    expect(before.body.detail).toBe((await planOf(nhs, stranger)).body.detail);

    const granted = await api.call('POST', `/patients/${nhs}/carers`, {
      token: patient,
      json: carerGrant(carerNhs, { until: '2099-06-01' }),
    });
    expect(granted.status).toBe(201);
    expect(granted.body).toEqual({
      id: expect.any(String),
      carer: { nhsNumber: carerNhs, name: 'Ruth Byron' },
      relationship: 'daughter',
      legalBasis: 'patient-consent',
      access: 'co-author',
      until: '2099-06-01',
      grantedBy: { id: `patient-${nhs}`, role: 'patient' },
      grantedAt: expect.any(String),
      status: 'active',
    });
    expect(granted.headers.get('location')).toBe(`/patients/${nhs}/carers/${granted.body.id}`);
    const listed = await api.call('GET', `/patients/${nhs}/carers`, { token: patient });
    expect(listed.body.items).toEqual([granted.body]);

    const edit = await editAboutMe(nhs, carer, patient);
    expect(edit.status).toBe(200);
    expect(edit.body.draft.sections).toMatchObject(aboutMe);
    expect(edit.body.draft.updatedBy).toEqual({ id: 'carer-ruth', role: 'carer' });
    const cpr = await api.call('PATCH', `/patients/${nhs}/plan`, {
      token: carer,
      headers: { 'if-match': etagOf(edit) },
      json: { sections: dnacpr },
    });
    expectProblem(cpr, 403);
    expect(cpr.body.detail).toMatch(/\bcpr\b/);
    const withdraw = await api.call('POST', `/patients/${nhs}/plan/withdraw`, {
      token: carer,
      headers: { 'if-match': etagOf(edit) },
      json: { reason: 'the family asked me to' },
    });
    expectProblem(withdraw, 403);
    expect((await planOf(nhs, carer)).status).toBe(200);

    const log = await accessLog(nhs, patient);
    const byCarer = log.filter((e) => e.actor.role === 'carer');
    expect(byCarer.map((e) => e.action).sort()).toEqual(['edit', 'read_plan']);
    for (const entry of byCarer) expect(entry).toMatchObject({ onBehalfOf: nhs, grantId: granted.body.id });
    expect(log.map((e) => e.action)).toContain('grantCarer');

    const revoked = await api.call('DELETE', `/patients/${nhs}/carers/${granted.body.id}`, {
      token: patient,
      json: { reason: 'my son will help me from now on' },
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({
      ...granted.body,
      status: 'revoked',
      revokedBy: { role: 'patient' },
      revocationReason: 'my son will help me from now on',
    });
    expectProblem(await planOf(nhs, carer), 403);
    expectProblem(await editAboutMe(nhs, carer, patient), 403);
    const again = await api.call('DELETE', `/patients/${nhs}/carers/${granted.body.id}`, {
      token: patient,
      json: { reason: 'twice' },
    });
    expectProblem(again, 409);

    await api.runtime.settled();
    expect(await archivedOfType('Carer.Granted', nhs)).toHaveLength(1);
    expect(await archivedOfType('Carer.Revoked', nhs)).toHaveLength(1);
    const toPatient = emailsTo(`patient-${nhs}@example.org`);
    expect(toPatient.some((eml) => /act for you/.test(eml))).toBe(true);
    expect(toPatient.some((eml) => /access to your urgent care plan has ended/.test(eml))).toBe(true);
    // The carer's NHS number and name are patient-identifiable: in no event and no email.
    const archived = JSON.stringify(await api.archived());
    expect(archived).not.toContain(carerNhs);
    expect(archived).not.toContain('Ruth Byron');
    for (const eml of api.outbox()) expect(eml).not.toContain(carerNhs);
  });

  // Stores an expired grant through the store itself, in this process: the rehearsed stack's table is not reachable from here.
  it.skipIf(rehearsed)('a grant whose last day has passed is refused, and cannot be given', async () => {
    const { nhs, patient } = await patientWithDraft();
    const carerNhs = testNhsNumber(next++);
    const carer = api.token({ role: 'carer', nhs: carerNhs });
    const past = await api.call('POST', `/patients/${nhs}/carers`, {
      token: patient,
      json: carerGrant(carerNhs, { until: yesterday }),
    });
    expectProblem(past, 422);
    // A grant given earlier whose last day was yesterday, as stored.
    await carers().grant(
      {
        id: '1',
        nhsNumber: nhs,
        ...carerGrant(carerNhs, { until: yesterday }),
        legalBasis: 'patient-consent',
        access: 'co-author',
        grantedBy: { id: `patient-${nhs}`, role: 'patient' },
        grantedAt: new Date(Date.now() - 7 * 86_400_000).toISOString(),
      } as Parameters<ReturnType<typeof carers>['grant']>[0],
      [],
    );
    expectProblem(await planOf(nhs, carer), 403);
    const listed = await api.call('GET', `/patients/${nhs}/carers`, { token: patient });
    expect(listed.body.items).toMatchObject([{ id: '1', status: 'expired' }]);
    // The last day itself is still within the grant.
    const today = await api.call('POST', `/patients/${nhs}/carers`, {
      token: patient,
      json: carerGrant(carerNhs, {
        until: new Date().toLocaleDateString('en-CA', { timeZone: 'Europe/London' }),
      }),
    });
    expect(today.status).toBe(201);
    expect(today.body).toMatchObject({ id: '2', status: 'active' });
    expect((await planOf(nhs, carer)).status).toBe(200);
  });

  it('a ratifier grants for a patient without capacity only under an LPA or a deputyship; a reader only reads', async () => {
    const { nhs, patient } = await patientWithDraft();
    const gp = api.token({ role: 'gp', org: GP_PRACTICE, sub: 'dr.patel' });
    const carerNhs = testNhsNumber(next++);
    const consent = await api.call('POST', `/patients/${nhs}/carers`, {
      token: gp,
      json: carerGrant(carerNhs, { access: 'read' }),
    });
    expectProblem(consent, 422);
    const lpa = await api.call('POST', `/patients/${nhs}/carers`, {
      token: gp,
      json: carerGrant(carerNhs, { access: 'read', legalBasis: 'lasting-power-of-attorney-health-welfare' }),
    });
    expect(lpa.status).toBe(201);
    expect(lpa.body).toMatchObject({ grantedBy: { role: 'gp', organisation: GP_PRACTICE }, access: 'read' });
    // A ratifier outside the care team may not.
    const outsider = api.token({ role: 'gp', org: 'B82002' });
    expectProblem(
      await api.call('POST', `/patients/${nhs}/carers`, {
        token: outsider,
        json: carerGrant(testNhsNumber(next++), { legalBasis: 'court-appointed-deputy' }),
      }),
      403,
    );
    // The same carer twice while active: revoke first.
    expectProblem(
      await api.call('POST', `/patients/${nhs}/carers`, { token: patient, json: carerGrant(carerNhs) }),
      409,
    );

    const reader = api.token({ role: 'carer', nhs: carerNhs });
    expect((await planOf(nhs, reader)).status).toBe(200);
    expectProblem(await editAboutMe(nhs, reader, patient), 403);
    const current = await planOf(nhs, patient);
    expectProblem(
      await api.call('POST', `/patients/${nhs}/plan/submit`, {
        token: reader,
        headers: { 'if-match': etagOf(current) },
        json: { organisation: GP_PRACTICE },
      }),
      403,
    );
    // A carer sees their own grant only, and may end it themselves.
    const seen = await api.call('GET', `/patients/${nhs}/carers`, { token: reader });
    expect(seen.body.items.map((g: { id: string }) => g.id)).toEqual([lpa.body.id]);
    const ended = await api.call('DELETE', `/patients/${nhs}/carers/${lpa.body.id}`, {
      token: reader,
      json: { reason: 'I am moving abroad' },
    });
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ status: 'revoked', revokedBy: { role: 'carer' } });
    expectProblem(await planOf(nhs, reader), 403);
    const log = await accessLog(nhs, patient);
    expect(log.find((e) => e.action === 'revokeCarer')).toMatchObject({
      actor: { role: 'carer' },
      onBehalfOf: nhs,
      grantId: lpa.body.id,
    });
  });

  it('the old meaning is gone: a carer token with the patient’s own NHS number is not the patient', async () => {
    const { nhs } = await patientWithDraft();
    const impostor = api.token({ role: 'carer', nhs });
    expectProblem(await planOf(nhs, impostor), 403);
    expectProblem(await api.call('GET', `/patients/${nhs}/access-log`, { token: impostor }), 403);
  });

  it('race: two revocations and a carer edit in flight leave one truth and lose nothing', async () => {
    const { nhs, patient } = await patientWithDraft();
    const gp = api.token({ role: 'gp', org: GP_PRACTICE, sub: 'dr.patel' });
    const carerNhs = testNhsNumber(next++);
    const carer = api.token({ role: 'carer', nhs: carerNhs, sub: 'carer-race' });
    const granted = await api.call('POST', `/patients/${nhs}/carers`, {
      token: patient,
      json: carerGrant(carerNhs),
    });
    expect(granted.status).toBe(201);
    const current = await planOf(nhs, patient);
    const revoke = (token: string, reason: string) =>
      api.call('DELETE', `/patients/${nhs}/carers/${granted.body.id}`, { token, json: { reason } });
    const [byPatient, byGp, edit] = await Promise.all([
      revoke(patient, 'I asked my GP too'),
      revoke(gp, 'the patient asked me'),
      api.call('PATCH', `/patients/${nhs}/plan`, {
        token: carer,
        headers: { 'if-match': etagOf(current) },
        json: { sections: aboutMe },
      }),
    ]);
    const statuses = [byPatient.status, byGp.status].sort();
    expect(statuses).toEqual([200, 409]);
    const winner = byPatient.status === 200 ? byPatient : byGp;
    expect([200, 403]).toContain(edit.status);

    const listed = await api.call('GET', `/patients/${nhs}/carers`, { token: patient });
    expect(listed.body.items).toEqual([winner.body]);
    expectProblem(await planOf(nhs, carer), 403);
    const plan = await planOf(nhs, patient);
    const log = await accessLog(nhs, patient);
    if (edit.status === 200) {
      // The edit that got in is kept, attributed to the carer acting for the patient.
      expect(plan.body.draft.sections).toMatchObject(aboutMe);
      expect(log.filter((e) => e.action === 'edit')).toMatchObject([
        { actor: { role: 'carer' }, onBehalfOf: nhs },
      ]);
    } else {
      expect(plan.body.revision).toBe(current.body.revision);
    }
    expect(log.filter((e) => e.action === 'revokeCarer')).toHaveLength(1);
    await api.runtime.settled();
    expect(await archivedOfType('Carer.Revoked', nhs)).toHaveLength(1);
  });
});

describe('the care team, kept by its members', () => {
  it('a hospice added by the GP reads the plan; removed, gets 403; the patient sees both changes', async () => {
    const { nhs, patient } = await patientWithDraft();
    const gp = await publish(nhs, patient);
    const hospiceNurse = api.token({ role: 'hospice_clinician', org: HOSPICE, sub: 'nurse.okafor' });
    expectProblem(await planOf(nhs, hospiceNurse), 403);

    const added = await api.call('PUT', `/patients/${nhs}/care-team/${HOSPICE}`, {
      token: gp,
      json: { reason: 'hospice at home team now visiting daily' },
    });
    expect(added.status).toBe(201);
    expect(added.body.items).toContainEqual({
      organisation: HOSPICE,
      reason: 'added',
      since: expect.any(String),
      addedBy: { id: 'dr.patel', role: 'gp', organisation: GP_PRACTICE },
      note: 'hospice at home team now visiting daily',
    });
    const revision = Number(JSON.parse(etagOf(added)));
    const again = await api.call('PUT', `/patients/${nhs}/care-team/${HOSPICE}`, {
      token: gp,
      json: { reason: 'still visiting' },
    });
    expect(again.status).toBe(200);
    expect(Number(JSON.parse(etagOf(again)))).toBe(revision);

    const read = await planOf(nhs, hospiceNurse);
    expect(read.status).toBe(200);
    expect(read.body.published.version).toBe(1);
    await api.runtime.settled();
    const mine = await api.call('GET', `/organisations/${HOSPICE}/patients`, { token: hospiceNurse });
    expect(mine.status).toBe(200);
    expect(mine.body.items).toContainEqual({ nhsNumber: nhs, status: 'published', reviewDate: '2027-05-20' });

    const seen = await api.call('GET', `/patients/${nhs}/care-team`, { token: patient });
    expect(seen.status).toBe(200);
    expect(
      seen.body.items.map((m: { organisation: string; reason: string }) => [m.organisation, m.reason]),
    ).toEqual([
      [GP_PRACTICE, 'gp_practice'],
      [HOSPICE, 'added'],
    ]);

    const removed = await api.call('DELETE', `/patients/${nhs}/care-team/${HOSPICE}`, { token: gp });
    expect(removed.status).toBe(200);
    expect(removed.body.items.map((m: { organisation: string }) => m.organisation)).toEqual([GP_PRACTICE]);
    expectProblem(await planOf(nhs, hospiceNurse), 403);
    await api.runtime.settled();
    const after = await api.call('GET', `/organisations/${HOSPICE}/patients`, { token: hospiceNurse });
    expect(after.body.items.map((p: { nhsNumber: string }) => p.nhsNumber)).not.toContain(nhs);

    const log = await accessLog(nhs, patient);
    expect(log.map((e) => e.action)).toEqual(expect.arrayContaining(['joinCareTeam', 'leaveCareTeam']));
    expect(log.find((e) => e.action === 'read_care_team')).toMatchObject({ actor: { role: 'patient' } });

    expect(await archivedOfType('CareTeam.Joined', nhs)).toMatchObject([
      { event: { detail: { organisation: HOSPICE, addedBy: { role: 'gp' } } } },
    ]);
    expect(await archivedOfType('CareTeam.Left', nhs)).toHaveLength(1);
    const toHospice = emailsTo('referrals@h12345.hospice.example');
    expect(toHospice.some((eml) => /now shared with your organisation/.test(eml))).toBe(true);
    expect(toHospice.some((eml) => /no longer shared with your organisation/.test(eml))).toBe(true);
    const toPatient = emailsTo(`patient-${nhs}@example.org`);
    expect(toPatient.some((eml) => /joined your care team/.test(eml))).toBe(true);
    expect(toPatient.some((eml) => /left your care team/.test(eml))).toBe(true);
  });

  it('the GP practice stays; the patient removes others; a draft’s ratifier only once it is returned', async () => {
    const { nhs, patient } = await patientWithDraft();
    const gp = api.token({ role: 'gp', org: GP_PRACTICE });
    expectProblem(await api.call('DELETE', `/patients/${nhs}/care-team/${GP_PRACTICE}`, { token: gp }), 422);
    expectProblem(
      await api.call('DELETE', `/patients/${nhs}/care-team/${GP_PRACTICE}`, { token: patient }),
      422,
    );

    const current = await planOf(nhs, patient);
    const submitted = await api.call('POST', `/patients/${nhs}/plan/submit`, {
      token: patient,
      headers: { 'if-match': etagOf(current) },
      json: { organisation: HOSPICE },
    });
    expect(submitted.status).toBe(200);
    expectProblem(await api.call('DELETE', `/patients/${nhs}/care-team/${HOSPICE}`, { token: patient }), 409);

    const consultant = api.token({ role: 'consultant', org: HOSPICE });
    const returned = await api.call('POST', `/patients/${nhs}/plan/return`, {
      token: consultant,
      headers: { 'if-match': etagOf(submitted) },
      json: { comments: 'please see your GP first' },
    });
    expect(returned.status).toBe(200);
    const removed = await api.call('DELETE', `/patients/${nhs}/care-team/${HOSPICE}`, {
      token: patient,
      json: { reason: 'I would rather the hospice did not see it yet' },
    });
    expect(removed.status).toBe(200);
    expectProblem(await planOf(nhs, consultant), 403);
    // Staff outside the care team and strangers may neither add nor remove.
    const outsider = api.token({ role: 'nurse', org: 'B82002' });
    expectProblem(
      await api.call('PUT', `/patients/${nhs}/care-team/B82002`, {
        token: outsider,
        json: { reason: 'me too' },
      }),
      403,
    );
    const careHome = api.token({ role: 'care_home', org: GP_PRACTICE });
    expectProblem(
      await api.call('PUT', `/patients/${nhs}/care-team/VM123`, {
        token: careHome,
        json: { reason: 'moved in' },
      }),
      403,
    );
  });

  it('before any plan: GET shows the enrolment’s care team, a change is 409 (start the plan first)', async () => {
    const nhs = testNhsNumber(next++);
    const nurse = api.token({ role: 'nurse', org: COMMUNITY, sub: 'dn.jones' });
    expect((await api.call('POST', '/patients', { token: nurse, json: enrolment(nhs) })).status).toBe(201);
    const team = await api.call('GET', `/patients/${nhs}/care-team`, { token: nurse });
    expect(team.status).toBe(200);
    expect(team.body.items).toMatchObject([
      { organisation: GP_PRACTICE, reason: 'gp_practice' },
      { organisation: COMMUNITY, reason: 'added', addedBy: { id: 'dn.jones' } },
    ]);
    const change = await api.call('PUT', `/patients/${nhs}/care-team/${HOSPICE}`, {
      token: nurse,
      json: { reason: 'referred' },
    });
    expectProblem(change, 409);
    expect(change.body.detail).toMatch(/start the plan first/);
    // The enrolled patient is on the enrolling organisation's list, with no plan yet.
    await api.runtime.settled();
    const mine = await api.call('GET', `/organisations/${COMMUNITY}/patients`, { token: nurse });
    expect(mine.body.items).toContainEqual({ nhsNumber: nhs, status: 'enrolled', reviewDate: null });
    // Only staff of that organisation.
    expectProblem(
      await api.call('GET', `/organisations/${COMMUNITY}/patients`, {
        token: api.token({ role: 'gp', org: GP_PRACTICE }),
      }),
      403,
    );
    expectProblem(
      await api.call('GET', `/organisations/${COMMUNITY}/patients`, {
        token: api.token({ role: 'privacy_officer', org: COMMUNITY }),
      }),
      403,
    );
  });

  it('concurrent additions and an edit: every change is kept', async () => {
    const { nhs, patient } = await patientWithDraft();
    const gp = api.token({ role: 'gp', org: GP_PRACTICE });
    const current = await planOf(nhs, patient);
    const others = ['RYX11', 'RYX12', 'RYX13', 'RYX14'];
    const answers: ApiResponse[] = await Promise.all([
      ...others.map((ods) =>
        api.call('PUT', `/patients/${nhs}/care-team/${ods}`, { token: gp, json: { reason: 'referred' } }),
      ),
      api.call('PATCH', `/patients/${nhs}/plan`, {
        token: patient,
        headers: { 'if-match': etagOf(current) },
        json: { sections: aboutMe },
      }),
    ]);
    for (const answer of answers.slice(0, others.length)) expect(answer.status).toBe(201);
    const team = await api.call('GET', `/patients/${nhs}/care-team`, { token: patient });
    expect(team.body.items.map((m: { organisation: string }) => m.organisation)).toEqual(
      expect.arrayContaining([GP_PRACTICE, ...others]),
    );
    const edit = answers[others.length];
    expect([200, 412]).toContain(edit?.status);
    const plan = await planOf(nhs, patient);
    if (edit?.status === 200) expect(plan.body.draft.sections).toMatchObject(aboutMe);

    // Paged: one patient a page for one of the added organisations' staff.
    await api.runtime.settled();
    const staff = api.token({ role: 'nurse', org: 'RYX11' });
    const page = await api.call('GET', '/organisations/RYX11/patients?limit=1', { token: staff });
    expect(page.status).toBe(200);
    expect(page.body.items).toEqual([{ nhsNumber: nhs, status: 'draft', reviewDate: null }]);
  });
});
