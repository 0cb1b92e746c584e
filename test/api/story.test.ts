import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Api,
  type ApiResponse,
  carerGrant,
  enrolment,
  etagOf,
  expectProblem,
  startApi,
  testNhsNumber,
} from './harness.ts';

/**
 * The whole story over real HTTP (docs/api.md, docs/domain.md): a patient writes their wishes, their GP
 * adds a DNACPR decision and publishes it, an ambulance crew of another organisation reads it,
 * and every read is in the patient's access log.
 */

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});

const GP_PRACTICE = 'A81001';
const today = () => new Date().toISOString().slice(0, 10);

const wishes = {
  preferences: {
    preferredPlaceOfDeath: { code: 'home', text: 'at home with my cat' },
    homeAccess: 'key safe by the back door, code from daughter',
  },
  aboutMe: { whatMattersToMe: 'being at home, no hospital admissions' },
  contacts: { people: [{ name: 'Ruth Byron', relationship: 'daughter', phone: '07700 900123' }] },
};
/** Plans read by staff leave out the key safe: it is shown only in the crisis summary and to the patient. */
const { homeAccess: _keySafe, ...sharedPreferences } = wishes.preferences;
const shared = { ...wishes, preferences: sharedPreferences };
const dnacpr = {
  decision: 'dnacpr',
  decisionDate: '2026-11-20',
  decidedBy: { name: 'Dr A Patel', role: 'gp' },
  discussedWithPatient: true,
};
const comfort = { ceiling: 'comfort', carePriority: 5 };

describe('the story of one plan', () => {
  const nhs = '9434765919';
  const purpose = 'ambulance call: breathing difficulty';
  let patient: string;
  let gp: string;
  let paramedic: string;
  let careHome: string;

  beforeAll(() => {
    patient = api.token({ role: 'patient', nhs, sub: 'patient-ada' });
    gp = api.token({ role: 'gp', org: GP_PRACTICE, sub: 'dr-patel' });
    paramedic = api.token({ role: 'paramedic', org: 'RRU', sub: 'crew-1' });
    careHome = api.token({ role: 'care_home', org: 'NCH01', sub: 'carehome-1' });
  });

  it('the patient self-enrols (201)', async () => {
    const res = await api.call('POST', '/patients', { token: patient, json: enrolment('943 476 5919') });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('location')).toBe(`/patients/${nhs}`);
    expect(res.body).toEqual({
      nhsNumber: nhs,
      name: { given: 'Ada', family: 'Byron' },
      birthDate: '1941-02-11',
      postcode: 'SW1A 1AA',
      gpPractice: GP_PRACTICE,
      enrolledAt: expect.any(String),
    });
  });

  it('the patient creates the first draft with their wishes (201, ETag "1")', async () => {
    const res = await api.call('POST', `/patients/${nhs}/plan`, {
      token: patient,
      json: { sections: wishes },
    });
    expect(res.status).toBe(201);
    expect(etagOf(res)).toBe('"1"');
    expect(res.body).toMatchObject({
      nhsNumber: nhs,
      status: 'draft',
      revision: 1,
      published: null,
      draft: { state: 'editing', sections: wishes, basedOnVersion: null },
    });
  });

  it('the patient may not write the cpr section (403 naming it)', async () => {
    const res = await api.call('PATCH', `/patients/${nhs}/plan`, {
      token: patient,
      headers: { 'if-match': '"1"' },
      json: { sections: { cpr: dnacpr } },
    });
    expectProblem(res, 403);
    expect(res.body.detail).toMatch(/\bcpr\b/);
  });

  it('the patient submits the draft to their GP practice', async () => {
    const res = await api.call('POST', `/patients/${nhs}/plan/submit`, {
      token: patient,
      headers: { 'if-match': '"1"' },
      json: { organisation: GP_PRACTICE },
    });
    expect(res.status).toBe(200);
    expect(etagOf(res)).toBe('"2"');
    expect(res.body).toMatchObject({
      status: 'submitted',
      revision: 2,
      published: null,
      draft: { state: 'submitted', submittedTo: { organisation: GP_PRACTICE }, sections: wishes },
    });
  });

  it('a plan not yet published is not shared with urgent care (404)', async () => {
    const summary = await api.call('GET', `/patients/${nhs}/plan/summary?purpose=check`, {
      token: paramedic,
    });
    expectProblem(summary, 404);
    const plan = await api.call('GET', `/patients/${nhs}/plan`, { token: paramedic });
    expectProblem(plan, 404);
  });

  it('a submitted plan is locked for the patient (409)', async () => {
    const res = await api.call('PATCH', `/patients/${nhs}/plan`, {
      token: patient,
      headers: { 'if-match': '"2"' },
      json: { sections: { aboutMe: { whatMattersToMe: 'changed my mind' } } },
    });
    expectProblem(res, 409);
  });

  it('the GP sees it in the ratification worklist', async () => {
    // The worklist is a projection kept from the table's stream: eventually consistent.
    await api.runtime.settled();
    const res = await api.call('GET', '/worklist/ratifications', { token: gp });
    expect(res.status).toBe(200);
    expect(res.body.items).toContainEqual({
      nhsNumber: nhs,
      submittedAt: expect.any(String),
      submittedBy: { id: 'patient-ada', role: 'patient' },
    });
  });

  it('the GP adds a DNACPR decision and ratifies: version 1 is published', async () => {
    const edit = await api.call('PATCH', `/patients/${nhs}/plan`, {
      token: gp,
      headers: { 'if-match': '"2"' },
      json: { sections: { cpr: dnacpr } },
    });
    expect(edit.status).toBe(200);
    expect(etagOf(edit)).toBe('"3"');
    expect(edit.body).toMatchObject({
      status: 'submitted',
      revision: 3,
      draft: { state: 'submitted', sections: { ...shared, cpr: dnacpr } },
    });

    const ratify = await api.call('POST', `/patients/${nhs}/plan/ratify`, {
      token: gp,
      headers: { 'if-match': '"3"' },
    });
    expect(ratify.status).toBe(200);
    expect(etagOf(ratify)).toBe('"4"');
    expect(ratify.body).toMatchObject({
      status: 'published',
      revision: 4,
      draft: null,
      published: {
        version: 1,
        sections: { ...shared, cpr: dnacpr },
        ratifiedBy: { id: 'dr-patel', role: 'gp', organisation: GP_PRACTICE },
        ratifiedAt: expect.any(String),
      },
    });

    await api.runtime.settled();
    const worklist = await api.call('GET', '/worklist/ratifications', { token: gp });
    expect(worklist.status).toBe(200);
    expect(worklist.body.items.map((i: { nhsNumber: string }) => i.nhsNumber)).not.toContain(nhs);
  });

  it('a paramedic of another organisation reads the crisis summary, with a purpose', async () => {
    const res = await api.call(
      'GET',
      `/patients/${nhs}/plan/summary?purpose=${encodeURIComponent(purpose)}`,
      {
        token: paramedic,
      },
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      nhsNumber: nhs,
      version: 1,
      ratifiedAt: expect.any(String),
      cpr: dnacpr,
      treatment: null,
      preferredPlaceOfDeath: { code: 'home', text: 'at home with my cat' },
      anticipatoryMedicines: null,
      contacts: wishes.contacts.people,
      homeAccess: 'key safe by the back door, code from daughter',
    });
  });

  it("the patient's access log shows the paramedic's read with its purpose, and the changes", async () => {
    const res = await api.call('GET', `/patients/${nhs}/access-log`, { token: patient });
    expect(res.status).toBe(200);
    expect(res.body.items).toContainEqual({
      at: expect.any(String),
      actor: { id: 'crew-1', role: 'paramedic', organisation: 'RRU' },
      action: 'read_summary',
      purpose,
      breakGlass: false,
    });
    const changes = res.body.items
      .filter((i: { purpose: unknown; action: string }) => !i.action.startsWith('read_'))
      .map((i: { action: string; actor: { id: string } }) => `${i.action} by ${i.actor.id}`);
    // Newest first; two changes in the same millisecond may come in either order, so compare as a set.
    expect([...changes].sort()).toEqual([
      'create by patient-ada',
      'edit by dr-patel',
      'ratify by dr-patel',
      'submit by patient-ada',
    ]);
    const times = res.body.items.map((i: { at: string }) => i.at);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('while an amendment waits in draft, urgent care still sees version 1 and the status stays published', async () => {
    const edit = await api.call('PATCH', `/patients/${nhs}/plan`, {
      token: gp,
      headers: { 'if-match': '"4"' },
      json: { sections: { treatment: comfort } },
    });
    expect(edit.status).toBe(200);
    expect(etagOf(edit)).toBe('"5"');
    expect(edit.body).toMatchObject({
      status: 'published',
      revision: 5,
      published: { version: 1 },
      draft: {
        state: 'editing',
        basedOnVersion: 1,
        sections: { ...shared, cpr: dnacpr, treatment: comfort },
      },
    });

    const summary = await api.call('GET', `/patients/${nhs}/plan/summary?purpose=check`, {
      token: paramedic,
    });
    expect(summary.status).toBe(200);
    expect(summary.body).toMatchObject({ version: 1, treatment: null, cpr: { decision: 'dnacpr' } });

    const plan = await api.call('GET', `/patients/${nhs}/plan`, { token: paramedic });
    expect(plan.status).toBe(200);
    expect(plan.body).toMatchObject({
      status: 'published',
      revision: 5,
      published: { version: 1, sections: { ...shared, cpr: dnacpr } },
      draft: null,
    });
    expect(plan.body.published.sections.treatment).toBeUndefined();

    const own = await api.call('GET', `/patients/${nhs}/plan`, { token: patient });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ status: 'published', draft: { sections: { treatment: comfort } } });
  });

  it('a stale If-Match gets 412 with the current revision', async () => {
    const res = await api.call('PATCH', `/patients/${nhs}/plan`, {
      token: gp,
      headers: { 'if-match': '"4"' },
      json: { sections: { review: { date: '2027-05-20' } } },
    });
    expectProblem(res, 412);
    expect(res.body.currentRevision).toBe(5);
    expect(etagOf(res)).toBe('"5"');
  });

  it('the amendment is ratified as version 2; the history keeps version 1 as it was', async () => {
    const ratify = await api.call('POST', `/patients/${nhs}/plan/ratify`, {
      token: gp,
      headers: { 'if-match': '"5"' },
      json: { note: 'ceiling of treatment agreed with Ada' },
    });
    expect(ratify.status).toBe(200);
    expect(etagOf(ratify)).toBe('"6"');
    expect(ratify.body).toMatchObject({
      status: 'published',
      revision: 6,
      draft: null,
      published: { version: 2, sections: { ...shared, cpr: dnacpr, treatment: comfort } },
    });

    const versions = await api.call('GET', `/patients/${nhs}/plan/versions`, { token: paramedic });
    expect(versions.status).toBe(200);
    expect(versions.body.next).toBeUndefined();
    expect(versions.body.items).toEqual([
      {
        version: 2,
        ratifiedAt: expect.any(String),
        ratifiedBy: { id: 'dr-patel', role: 'gp', organisation: GP_PRACTICE },
      },
      {
        version: 1,
        ratifiedAt: expect.any(String),
        ratifiedBy: { id: 'dr-patel', role: 'gp', organisation: GP_PRACTICE },
      },
    ]);

    const pagedVersions: number[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const page = await api.call(
        'GET',
        `/patients/${nhs}/plan/versions?limit=1${next ? `&next=${encodeURIComponent(next)}` : ''}`,
        { token: paramedic },
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(1);
      pagedVersions.push(...page.body.items.map((i: { version: number }) => i.version));
      next = page.body.next;
      pages += 1;
    } while (next !== undefined && pages < 5);
    expect(pagedVersions).toEqual([2, 1]);

    const first = await api.call('GET', `/patients/${nhs}/plan/versions/1`, { token: paramedic });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ version: 1, sections: { ...shared, cpr: dnacpr } });
    expect(first.body.sections.treatment).toBeUndefined();

    const missing = await api.call('GET', `/patients/${nhs}/plan/versions/3`, { token: paramedic });
    expectProblem(missing, 404);

    const summary = await api.call('GET', `/patients/${nhs}/plan/summary?purpose=check`, {
      token: paramedic,
    });
    expect(summary.status).toBe(200);
    expect(summary.body).toMatchObject({ version: 2, treatment: comfort });
  });

  it('50 concurrent changes on one revision: exactly one wins, 49 get 412, the winner is stored', async () => {
    const attempts = Array.from({ length: 50 }, (_, i) => `writer ${i}: what matters most is my garden`);
    const responses = await Promise.all(
      attempts.map((whatMattersToMe) =>
        api.call('PATCH', `/patients/${nhs}/plan`, {
          token: gp,
          headers: { 'if-match': '"6"' },
          json: { sections: { aboutMe: { whatMattersToMe } } },
        }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(49);
    const winner = responses.find((r) => r.status === 200) as ApiResponse;
    expect(etagOf(winner)).toBe('"7"');
    const written = winner.body.draft.sections.aboutMe.whatMattersToMe;
    expect(attempts).toContain(written);
    for (const loser of responses.filter((r) => r.status === 412)) {
      expectProblem(loser, 412);
      expect(loser.body.currentRevision).toBe(7);
    }

    const stored = await api.call('GET', `/patients/${nhs}/plan`, { token: gp });
    expect(stored.status).toBe(200);
    expect(etagOf(stored)).toBe('"7"');
    expect(stored.body.revision).toBe(7);
    expect(stored.body.draft.sections.aboutMe).toEqual({ whatMattersToMe: written });
    expect(stored.body.draft).toEqual(winner.body.draft);
  });

  it('a care home outside the care team gets 403, and 200 with break-glass, flagged in the access log', async () => {
    const refused = await api.call('GET', `/patients/${nhs}/plan`, { token: careHome });
    expectProblem(refused, 403);

    const reason = 'resident collapsed, plan needed urgently';
    const res = await api.call('GET', `/patients/${nhs}/plan?purpose=emergency`, {
      token: careHome,
      headers: { 'break-glass': reason },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'published', published: { version: 2 }, draft: null });

    const log = await api.call('GET', `/patients/${nhs}/access-log`, { token: patient });
    expect(log.status).toBe(200);
    const careHomeReads = log.body.items.filter(
      (i: { actor: { id: string } }) => i.actor.id === 'carehome-1',
    );
    expect(careHomeReads).toEqual([
      {
        at: expect.any(String),
        actor: { id: 'carehome-1', role: 'care_home', organisation: 'NCH01' },
        action: 'read_plan',
        purpose: 'emergency',
        breakGlass: true,
      },
    ]);
  });

  it("the care home's privacy officer sees their organisation's reads in the access log", async () => {
    const officer = api.token({ role: 'privacy_officer', org: 'NCH01', sub: 'privacy-1' });
    const res = await api.call('GET', `/patients/${nhs}/access-log`, { token: officer });
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      {
        at: expect.any(String),
        actor: { id: 'carehome-1', role: 'care_home', organisation: 'NCH01' },
        action: 'read_plan',
        purpose: 'emergency',
        breakGlass: true,
      },
    ]);
  });

  it('home access information is shown only in the crisis summary, not in the full plan or its history', async () => {
    const plan = await api.call('GET', `/patients/${nhs}/plan`, { token: paramedic });
    expect(plan.status).toBe(200);
    expect(plan.body.published.sections.preferences.preferredPlaceOfDeath).toEqual(
      wishes.preferences.preferredPlaceOfDeath,
    );
    expect(plan.body.published.sections.preferences.homeAccess).toBeUndefined();

    const first = await api.call('GET', `/patients/${nhs}/plan/versions/1`, { token: paramedic });
    expect(first.status).toBe(200);
    expect(first.body.sections.preferences.homeAccess).toBeUndefined();

    const brokenGlass = await api.call('GET', `/patients/${nhs}/plan`, {
      token: careHome,
      headers: { 'break-glass': 'resident collapsed, plan needed urgently' },
    });
    expect(brokenGlass.status).toBe(200);
    expect(brokenGlass.body.published.sections.preferences.homeAccess).toBeUndefined();

    const summary = await api.call('GET', `/patients/${nhs}/plan/summary?purpose=check`, {
      token: paramedic,
    });
    expect(summary.body.homeAccess).toBe(wishes.preferences.homeAccess);
  });

  it('a withdrawn plan is no longer shared: the summary is 404 for the paramedic', async () => {
    const res = await api.call('POST', `/patients/${nhs}/plan/withdraw`, {
      token: patient,
      headers: { 'if-match': '"7"' },
      json: { reason: 'I no longer want my plan shared' },
    });
    expect(res.status).toBe(200);
    expect(etagOf(res)).toBe('"8"');
    expect(res.body).toMatchObject({ status: 'withdrawn', revision: 8 });

    const summary = await api.call('GET', `/patients/${nhs}/plan/summary?purpose=check`, {
      token: paramedic,
    });
    expectProblem(summary, 404);
    const plan = await api.call('GET', `/patients/${nhs}/plan`, { token: paramedic });
    expectProblem(plan, 404);
  });

  it('recording a death closes the plan', async () => {
    const res = await api.call('POST', `/patients/${nhs}/death`, {
      token: gp,
      json: { date: today(), place: 'home' },
    });
    expect(res.status).toBe(200);
    expect(etagOf(res)).toBe('"9"');
    expect(res.body).toMatchObject({ status: 'closed', revision: 9 });

    // Closed, like withdrawn, is terminal for sharing: only the patient still sees the plan.
    expectProblem(await api.call('GET', `/patients/${nhs}/plan`, { token: gp }), 404);
    const own = await api.call('GET', `/patients/${nhs}/plan`, { token: patient });
    expect(own.status).toBe(200);
    expect(own.body.status).toBe('closed');

    const again = await api.call('PATCH', `/patients/${nhs}/plan`, {
      token: gp,
      headers: { 'if-match': '"9"' },
      json: { sections: { review: { date: '2027-05-20' } } },
    });
    expectProblem(again, 409);
  });
});

/** Enrols and creates a draft as the patient; returns the patient's token. */
const enrolWithDraft = async (nhs: string, sections: object = wishes): Promise<string> => {
  const patient = api.token({ role: 'patient', nhs, sub: `patient-${nhs}` });
  const enrolled = await api.call('POST', '/patients', { token: patient, json: enrolment(nhs) });
  expect(enrolled.status).toBe(201);
  const created = await api.call('POST', `/patients/${nhs}/plan`, { token: patient, json: { sections } });
  expect(created.status).toBe(201);
  return patient;
};

describe('idempotent creation and conflicts', () => {
  it('enrolment: same key and body replays the 201, another body is 422, no key is 409', async () => {
    const nhs = testNhsNumber(0);
    const patient = api.token({ role: 'patient', nhs, sub: 'patient-idem' });
    const key = 'enrol-7f3a9c21';
    const first = await api.call('POST', '/patients', {
      token: patient,
      headers: { 'idempotency-key': key },
      json: enrolment(nhs),
    });
    expect(first.status).toBe(201);

    const retry = await api.call('POST', '/patients', {
      token: patient,
      headers: { 'idempotency-key': key },
      json: enrolment(nhs),
    });
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('location')).toBe(first.headers.get('location'));

    const changed = await api.call('POST', '/patients', {
      token: patient,
      headers: { 'idempotency-key': key },
      json: enrolment(nhs, { postcode: 'N1 9GU' }),
    });
    expectProblem(changed, 422);

    const again = await api.call('POST', '/patients', { token: patient, json: enrolment(nhs) });
    expectProblem(again, 409);
  });

  it('enrolment: the same key with another patient in the body is 422, not a second enrolment', async () => {
    const clinician = api.token({ role: 'gp', org: GP_PRACTICE, sub: 'dr-idem' });
    const key = 'enrol-5c0e77aa';
    const first = await api.call('POST', '/patients', {
      token: clinician,
      headers: { 'idempotency-key': key },
      json: enrolment(testNhsNumber(7)),
    });
    expect(first.status).toBe(201);
    const other = testNhsNumber(8);
    const reused = await api.call('POST', '/patients', {
      token: clinician,
      headers: { 'idempotency-key': key },
      json: enrolment(other),
    });
    expectProblem(reused, 422);
    // Not enrolled: answered as for any patient outside the clinician's care team.
    const notEnrolled = await api.call('GET', `/patients/${other}`, { token: clinician });
    expectProblem(notEnrolled, 403);
  });

  it('plan creation: same key and body replays the 201, another body is 422, no key is 409', async () => {
    const nhs = testNhsNumber(1);
    const patient = api.token({ role: 'patient', nhs, sub: 'patient-idem-plan' });
    expect((await api.call('POST', '/patients', { token: patient, json: enrolment(nhs) })).status).toBe(201);
    const key = 'plan-0b8d41e6';
    const create = (json: unknown, headers: Record<string, string> = { 'idempotency-key': key }) =>
      api.call('POST', `/patients/${nhs}/plan`, { token: patient, headers, json });

    const first = await create({ sections: wishes });
    expect(first.status).toBe(201);
    expect(etagOf(first)).toBe('"1"');

    const retry = await create({ sections: wishes });
    expect(retry.status).toBe(201);
    expect(etagOf(retry)).toBe('"1"');
    expect(retry.body).toEqual(first.body);

    const changed = await create({ sections: { aboutMe: { whatMattersToMe: 'something else' } } });
    expectProblem(changed, 422);

    const again = await create({ sections: wishes }, {});
    expectProblem(again, 409);

    const plan = await api.call('GET', `/patients/${nhs}/plan`, { token: patient });
    expect(plan.status).toBe(200);
    expect(plan.body).toMatchObject({ revision: 1, draft: { sections: wishes } });
  });

  it("the same key on another patient's plan is another request, not a replay", async () => {
    const gp = api.token({ role: 'gp', org: GP_PRACTICE, sub: 'dr-idem' });
    const [first, second] = [testNhsNumber(70), testNhsNumber(71)];
    for (const nhs of [first, second]) {
      expect((await api.call('POST', '/patients', { token: gp, json: enrolment(nhs) })).status).toBe(201);
    }
    const headers = { 'idempotency-key': 'shared-key-1234' };
    const json = { sections: wishes };
    const a = await api.call('POST', `/patients/${first}/plan`, { token: gp, headers, json });
    const b = await api.call('POST', `/patients/${second}/plan`, { token: gp, headers, json });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.headers.get('location')).toBe(`/patients/${second}/plan`);
    expect(b.body.nhsNumber).toBe(second);
    expect((await api.call('GET', `/patients/${second}/plan`, { token: gp })).status).toBe(200);
  });
});

describe('who may do what', () => {
  it('a ratifier returns a submitted plan with comments: it leaves the worklist, the patient edits and resubmits', async () => {
    const nhs = testNhsNumber(9);
    const patient = await enrolWithDraft(nhs);
    const gp = api.token({ role: 'gp', org: GP_PRACTICE, sub: 'dr-patel' });
    const submit = (revision: number) =>
      api.call('POST', `/patients/${nhs}/plan/submit`, {
        token: patient,
        headers: { 'if-match': `"${revision}"` },
        json: { organisation: GP_PRACTICE, note: 'please check my wishes' },
      });
    expect((await submit(1)).status).toBe(200);

    const returned = await api.call('POST', `/patients/${nhs}/plan/return`, {
      token: gp,
      headers: { 'if-match': '"2"' },
      json: { comments: "please add your daughter's number" },
    });
    expect(returned.status).toBe(200);
    expect(etagOf(returned)).toBe('"3"');
    expect(returned.body).toMatchObject({ status: 'draft', revision: 3 });

    await api.runtime.settled();
    const worklist = await api.call('GET', '/worklist/ratifications', { token: gp });
    expect(worklist.body.items.map((i: { nhsNumber: string }) => i.nhsNumber)).not.toContain(nhs);

    const own = await api.call('GET', `/patients/${nhs}/plan`, { token: patient });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({
      status: 'draft',
      draft: { state: 'editing', comments: "please add your daughter's number" },
    });
    expect(own.body.draft.submittedTo).toBeUndefined();

    const edited = await api.call('PATCH', `/patients/${nhs}/plan`, {
      token: patient,
      headers: { 'if-match': '"3"' },
      json: {
        sections: {
          contacts: { people: [{ name: 'Ruth Byron', relationship: 'daughter', phone: '07700 900123' }] },
        },
      },
    });
    expect(edited.status).toBe(200);
    const resubmitted = await submit(4);
    expect(resubmitted.status).toBe(200);
    expect(resubmitted.body).toMatchObject({ status: 'submitted', revision: 5 });
    expect(resubmitted.body.draft.comments).toBeUndefined();
    await api.runtime.settled();
    const again = await api.call('GET', '/worklist/ratifications', { token: gp });
    expect(again.body.items.map((i: { nhsNumber: string }) => i.nhsNumber)).toContain(nhs);
  });

  it('a carer with a co-author grant may edit the patient sections but may not withdraw the plan', async () => {
    const nhs = testNhsNumber(2);
    const patient = await enrolWithDraft(nhs);
    // A carer signs in as themselves, with their own NHS number, and acts by the patient's grant.
    const carerNhs = testNhsNumber(902);
    const granted = await api.call('POST', `/patients/${nhs}/carers`, {
      token: patient,
      json: carerGrant(carerNhs),
    });
    expect(granted.status).toBe(201);
    const carer = api.token({ role: 'carer', nhs: carerNhs, sub: 'carer-ruth' });

    const edit = await api.call('PATCH', `/patients/${nhs}/plan`, {
      token: carer,
      headers: { 'if-match': '"1"' },
      json: { sections: { aboutMe: { whatMattersToMe: 'Mum wants to stay with her cat' } } },
    });
    expect(edit.status).toBe(200);
    expect(edit.body).toMatchObject({
      revision: 2,
      draft: { sections: { aboutMe: { whatMattersToMe: 'Mum wants to stay with her cat' } } },
    });

    const cpr = await api.call('PATCH', `/patients/${nhs}/plan`, {
      token: carer,
      headers: { 'if-match': '"2"' },
      json: { sections: { cpr: dnacpr } },
    });
    expectProblem(cpr, 403);
    expect(cpr.body.detail).toMatch(/\bcpr\b/);

    const withdraw = await api.call('POST', `/patients/${nhs}/plan/withdraw`, {
      token: carer,
      headers: { 'if-match': '"2"' },
      json: { reason: 'the family asked me to' },
    });
    expectProblem(withdraw, 403);

    const plan = await api.call('GET', `/patients/${nhs}/plan`, { token: carer });
    expect(plan.status).toBe(200);
    expect(plan.body).toMatchObject({ status: 'draft', revision: 2 });
  });

  it('a nurse in the care team may edit cpr but may not ratify', async () => {
    const nhs = testNhsNumber(3);
    await enrolWithDraft(nhs);
    const nurse = api.token({ role: 'nurse', org: GP_PRACTICE, sub: 'nurse-1' });

    const edit = await api.call('PATCH', `/patients/${nhs}/plan`, {
      token: nurse,
      headers: { 'if-match': '"1"' },
      json: { sections: { cpr: dnacpr } },
    });
    expect(edit.status).toBe(200);
    expect(edit.body).toMatchObject({ status: 'draft', revision: 2, draft: { sections: { cpr: dnacpr } } });

    const ratify = await api.call('POST', `/patients/${nhs}/plan/ratify`, {
      token: nurse,
      headers: { 'if-match': '"2"' },
    });
    expectProblem(ratify, 403);

    const plan = await api.call('GET', `/patients/${nhs}/plan`, { token: nurse });
    expect(plan.status).toBe(200);
    expect(plan.body).toMatchObject({ status: 'draft', revision: 2, published: null });
  });

  it('a GP of another organisation may not ratify a plan submitted to A81001', async () => {
    const nhs = testNhsNumber(4);
    const patient = await enrolWithDraft(nhs);
    const submitted = await api.call('POST', `/patients/${nhs}/plan/submit`, {
      token: patient,
      headers: { 'if-match': '"1"' },
      json: { organisation: GP_PRACTICE },
    });
    expect(submitted.status).toBe(200);

    const otherGp = api.token({ role: 'gp', org: 'B82002', sub: 'dr-other' });
    const ratify = await api.call('POST', `/patients/${nhs}/plan/ratify`, {
      token: otherGp,
      headers: { 'if-match': '"2"' },
    });
    expectProblem(ratify, 403);

    const plan = await api.call('GET', `/patients/${nhs}/plan`, { token: patient });
    expect(plan.body).toMatchObject({ status: 'submitted', revision: 2, published: null });
  });

  it('a GP who wrote the plan may not ratify it once it is submitted to another organisation', async () => {
    const nhs = testNhsNumber(5);
    const author = api.token({ role: 'gp', org: 'B82002', sub: 'dr-author' });
    const enrolled = await api.call('POST', '/patients', { token: author, json: enrolment(nhs) });
    expect(enrolled.status).toBe(201);
    const created = await api.call('POST', `/patients/${nhs}/plan`, {
      token: author,
      json: { sections: { ...wishes, cpr: dnacpr } },
    });
    expect(created.status).toBe(201);
    const submitted = await api.call('POST', `/patients/${nhs}/plan/submit`, {
      token: author,
      headers: { 'if-match': '"1"' },
      json: { organisation: GP_PRACTICE, clinician: 'dr.patel' },
    });
    expect(submitted.status).toBe(200);

    const ratifyOwn = await api.call('POST', `/patients/${nhs}/plan/ratify`, {
      token: author,
      headers: { 'if-match': '"2"' },
    });
    expectProblem(ratifyOwn, 403);

    const gp = api.token({ role: 'gp', org: GP_PRACTICE, sub: 'dr-patel' });
    await api.runtime.settled();
    const worklist = await api.call('GET', '/worklist/ratifications', { token: gp });
    expect(worklist.body.items).toContainEqual({
      nhsNumber: nhs,
      submittedAt: expect.any(String),
      submittedBy: { id: 'dr-author', role: 'gp', organisation: 'B82002' },
      clinician: 'dr.patel',
    });
    const ratify = await api.call('POST', `/patients/${nhs}/plan/ratify`, {
      token: gp,
      headers: { 'if-match': '"2"' },
    });
    expect(ratify.status).toBe(200);
    expect(ratify.body).toMatchObject({ status: 'published', published: { version: 1 } });
  });

  it('a paramedic records a death: the plan is closed (and the reason is needed away from the preferred place)', async () => {
    const nhs = testNhsNumber(6);
    await enrolWithDraft(nhs);
    const gp = api.token({ role: 'gp', org: GP_PRACTICE, sub: 'dr-patel' });
    const ratify = await api.call('POST', `/patients/${nhs}/plan/ratify`, {
      token: gp,
      headers: { 'if-match': '"1"' },
    });
    // The patient's own draft was not written by the practice, nor sent to it.
    expectProblem(ratify, 403);
    const edit = await api.call('PATCH', `/patients/${nhs}/plan`, {
      token: gp,
      headers: { 'if-match': '"1"' },
      json: { sections: { cpr: dnacpr } },
    });
    expect(edit.status).toBe(200);
    const published = await api.call('POST', `/patients/${nhs}/plan/ratify`, {
      token: gp,
      headers: { 'if-match': '"2"' },
    });
    expect(published.status).toBe(200);

    const paramedic = api.token({ role: 'paramedic', org: 'RRU', sub: 'crew-2' });
    const noReason = await api.call('POST', `/patients/${nhs}/death`, {
      token: paramedic,
      json: { date: today(), place: 'hospital' },
    });
    expectProblem(noReason, 422);
    expect(noReason.body.detail).toMatch(/reasonIfNotPreferred/);

    const res = await api.call('POST', `/patients/${nhs}/death`, {
      token: paramedic,
      json: { date: today(), place: 'hospital', reasonIfNotPreferred: 'admitted with a fall' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'closed', revision: 4 });

    const twice = await api.call('POST', `/patients/${nhs}/death`, {
      token: paramedic,
      json: { date: today(), place: 'hospital', reasonIfNotPreferred: 'admitted with a fall' },
    });
    expectProblem(twice, 409);
  });
});
