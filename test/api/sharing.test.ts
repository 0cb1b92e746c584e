import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, enrolment, etagOf, expectProblem, startApi, testNhsNumber } from './harness.ts';

/**
 * Who learns what: the rules a review found gaps in. Outsiders get the same answer whether or
 * not a patient is enrolled; withdrawn and closed plans are shared with no one but the patient;
 * the key safe is shown to staff only in the crisis summary, and survives their edits.
 */
let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});

const GP_PRACTICE = 'A81001';
const keySafe = 'key safe under the pot, code 9911';
const dnacpr = {
  decision: 'dnacpr',
  decisionDate: '2026-11-20',
  decidedBy: { name: 'Dr A Patel', role: 'gp' },
};

/** Enrolled by the GP practice, written and published by its GP in one sitting: returns the ETag. */
const publishedPlan = async (nhs: string, gp: string) => {
  expect((await api.call('POST', '/patients', { token: gp, json: enrolment(nhs) })).status).toBe(201);
  const created = await api.call('POST', `/patients/${nhs}/plan`, {
    token: gp,
    json: {
      sections: {
        preferences: { preferredPlaceOfDeath: { code: 'hospice' }, homeAccess: keySafe },
        cpr: dnacpr,
      },
    },
  });
  expect(created.status).toBe(201);
  const ratified = await api.call('POST', `/patients/${nhs}/plan/ratify`, {
    token: gp,
    headers: { 'if-match': etagOf(created) },
  });
  expect(ratified.status).toBe(200);
  return etagOf(ratified);
};

describe('outsiders learn nothing about enrolment', () => {
  it('answers staff outside the care team 403 whether or not the patient is enrolled', async () => {
    const gp = api.token({ role: 'gp', org: GP_PRACTICE });
    const enrolled = testNhsNumber(100);
    const unknown = testNhsNumber(101);
    await publishedPlan(enrolled, gp);
    const outsiders = [
      api.token({ role: 'care_home', org: 'VM999' }),
      api.token({ role: 'nurse', org: 'RYX' }),
      api.token({ role: 'admin', org: 'X26' }),
    ];
    for (const token of outsiders) {
      for (const nhs of [enrolled, unknown]) {
        for (const path of [
          `/patients/${nhs}`,
          `/patients/${nhs}/plan`,
          `/patients/${nhs}/plan/summary`,
          `/patients/${nhs}/plan/versions`,
        ]) {
          expectProblem(await api.call('GET', path, { token }), 403);
        }
        expectProblem(await api.call('POST', `/patients/${nhs}/plan`, { token, json: {} }), 403);
      }
    }
    // Urgent care may know of any patient: for them an unknown patient is simply not found.
    const paramedic = api.token({ role: 'paramedic', org: 'RRU' });
    expectProblem(await api.call('GET', `/patients/${unknown}/plan/summary`, { token: paramedic }), 404);
    // A privacy officer gets an empty log, as for a patient their staff never read.
    const officer = api.token({ role: 'privacy_officer', org: 'VM999' });
    for (const nhs of [enrolled, unknown]) {
      const log = await api.call('GET', `/patients/${nhs}/access-log`, { token: officer });
      expect(log.status).toBe(200);
      expect(log.body).toEqual({ items: [] });
    }
  });

  it('lets only the care team start the plan of an enrolled patient', async () => {
    const nhs = testNhsNumber(102);
    const hospice = api.token({ role: 'hospice_clinician', org: 'H12345' });
    expect((await api.call('POST', '/patients', { token: hospice, json: enrolment(nhs) })).status).toBe(201);
    const elsewhere = api.token({ role: 'consultant', org: 'RAL' });
    expectProblem(await api.call('POST', `/patients/${nhs}/plan`, { token: elsewhere, json: {} }), 403);
    // The hospice that enrolled the patient is in the care team with the GP practice.
    expect((await api.call('POST', `/patients/${nhs}/plan`, { token: hospice, json: {} })).status).toBe(201);
  });
});

describe('withdrawn and closed plans are shared with no one but the patient', () => {
  it('hides a withdrawn plan from its authors, and a death recorded on it tells urgent care nothing', async () => {
    const nhs = testNhsNumber(103);
    const gp = api.token({ role: 'gp', org: GP_PRACTICE });
    const patient = api.token({ role: 'patient', nhs });
    const etag = await publishedPlan(nhs, gp);
    const withdrawn = await api.call('POST', `/patients/${nhs}/plan/withdraw`, {
      token: patient,
      headers: { 'if-match': etag },
      json: { reason: 'I do not want it shared any more' },
    });
    expect(withdrawn.status).toBe(200);
    for (const path of ['', '/versions', '/versions/1', '/summary']) {
      expectProblem(await api.call('GET', `/patients/${nhs}/plan${path}`, { token: gp }), 404);
    }
    expect((await api.call('GET', `/patients/${nhs}/plan`, { token: patient })).status).toBe(200);

    const paramedic = api.token({ role: 'paramedic', org: 'RRU' });
    // Died at home though the (withdrawn) plan said hospice: the crew is not asked why, which would tell them.
    const death = await api.call('POST', `/patients/${nhs}/death`, {
      token: paramedic,
      json: { date: new Date().toISOString().slice(0, 10), place: 'home' },
    });
    expect(death.status).toBe(200);
    expect(death.body).toEqual({
      nhsNumber: nhs,
      status: 'closed',
      revision: Number(etagOf(death).replaceAll('"', '')),
      published: null,
      draft: null,
    });
    expect(death.text).not.toContain(keySafe);
  });

  it('answers 404 for the summary once a death is recorded', async () => {
    const nhs = testNhsNumber(104);
    const gp = api.token({ role: 'gp', org: GP_PRACTICE });
    await publishedPlan(nhs, gp);
    const died = await api.call('POST', `/patients/${nhs}/death`, {
      token: gp,
      json: { date: new Date().toISOString().slice(0, 10), place: 'hospice' },
    });
    expect(died.status).toBe(200);
    const paramedic = api.token({ role: 'paramedic', org: 'RRU' });
    expectProblem(await api.call('GET', `/patients/${nhs}/plan/summary`, { token: paramedic }), 404);
  });
});

describe('the key safe', () => {
  it('is not in the draft staff see, and survives their edit of the preferences', async () => {
    const nhs = testNhsNumber(105);
    const gp = api.token({ role: 'gp', org: GP_PRACTICE });
    const patient = api.token({ role: 'patient', nhs });
    const etag = await publishedPlan(nhs, gp);
    const edited = await api.call('PATCH', `/patients/${nhs}/plan`, {
      token: gp,
      headers: { 'if-match': etag },
      json: {
        sections: { preferences: { preferredPlaceOfDeath: { code: 'home', text: 'changed her mind' } } },
      },
    });
    expect(edited.status).toBe(200);
    expect(edited.text).not.toContain(keySafe);
    expect(edited.body.draft.sections.preferences).toEqual({
      preferredPlaceOfDeath: { code: 'home', text: 'changed her mind' },
    });
    const own = await api.call('GET', `/patients/${nhs}/plan`, { token: patient });
    expect(own.body.draft.sections.preferences.homeAccess).toBe(keySafe);

    const ratified = await api.call('POST', `/patients/${nhs}/plan/ratify`, {
      token: gp,
      headers: { 'if-match': etagOf(edited) },
    });
    expect(ratified.status).toBe(200);
    const paramedic = api.token({ role: 'paramedic', org: 'RRU' });
    const summary = await api.call('GET', `/patients/${nhs}/plan/summary`, { token: paramedic });
    expect(summary.body).toMatchObject({
      version: 2,
      homeAccess: keySafe,
      preferredPlaceOfDeath: { code: 'home' },
    });
  });
});

describe('the ratification worklist', () => {
  it('drops a plan withdrawn while it waits, and lists no cleared entries', async () => {
    const nhs = testNhsNumber(106);
    const gp = api.token({ role: 'gp', org: GP_PRACTICE });
    const patient = api.token({ role: 'patient', nhs });
    expect((await api.call('POST', '/patients', { token: patient, json: enrolment(nhs) })).status).toBe(201);
    const created = await api.call('POST', `/patients/${nhs}/plan`, { token: patient, json: {} });
    const submitted = await api.call('POST', `/patients/${nhs}/plan/submit`, {
      token: patient,
      headers: { 'if-match': etagOf(created) },
      json: { organisation: GP_PRACTICE },
    });
    await api.runtime.settled();
    const waiting = await api.call('GET', '/worklist/ratifications', { token: gp });
    expect(waiting.body.items.map((i: { nhsNumber: string }) => i.nhsNumber)).toContain(nhs);

    await api.call('POST', `/patients/${nhs}/plan/withdraw`, {
      token: patient,
      headers: { 'if-match': etagOf(submitted) },
      json: { reason: 'changed my mind' },
    });
    await api.runtime.settled();
    const after = await api.call('GET', '/worklist/ratifications', { token: gp });
    expect(after.body.items.map((i: { nhsNumber: string }) => i.nhsNumber)).not.toContain(nhs);
    for (const item of after.body.items)
      expect(Object.keys(item)).toEqual(expect.arrayContaining(['nhsNumber', 'submittedAt']));
  });
});
