import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Api,
  carerGrant,
  enrolment,
  etagOf,
  expectProblem,
  startApi,
  testNhsNumber,
} from './harness.ts';

/**
 * Reviews over HTTP: the review worklist of each care-team organisation (due within N days or
 * overdue, soonest first, paged), and the reminders `npm run reminders` sends: one per plan, review
 * date and threshold to each care-team organisation, however often it runs.
 */

let api: Api;
const run = promisify(execFile);
const GP_PRACTICE = 'A81001';
const HOSPICE = 'H12345';

const ukToday = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date());
const inDays = (n: number) =>
  new Date(Date.parse(`${ukToday()}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

const soon = testNhsNumber(300);
const later = testNhsNumber(301);
const farOff = testNhsNumber(302);
const withdrawn = testNhsNumber(303);

let gp: string;

/** Enrolled by the GP practice, written and published by it, submitted first to the hospice (so both are its care team). */
const publish = async (nhs: string, review: { plan?: string; cpr?: string }) => {
  expect((await api.call('POST', '/patients', { token: gp, json: enrolment(nhs) })).status).toBe(201);
  const created = await api.call('POST', `/patients/${nhs}/plan`, {
    token: gp,
    json: {
      sections: {
        preferences: { preferredPlaceOfDeath: { code: 'home' } },
        ...(review.plan && { review: { date: review.plan } }),
        cpr: {
          decision: 'dnacpr',
          decisionDate: inDays(-30),
          decidedBy: { name: 'Dr A Patel', role: 'gp' },
          ...(review.cpr && { reviewDate: review.cpr }),
        },
      },
    },
  });
  const submitted = await api.call('POST', `/patients/${nhs}/plan/submit`, {
    token: gp,
    json: { organisation: HOSPICE },
    headers: { 'If-Match': etagOf(created) },
  });
  const ratified = await api.call('POST', `/patients/${nhs}/plan/ratify`, {
    token: api.token({ role: 'consultant', org: HOSPICE }),
    headers: { 'If-Match': etagOf(submitted) },
  });
  expect(ratified.status).toBe(200);
  return ratified;
};

beforeAll(async () => {
  api = await startApi();
  gp = api.token({ role: 'gp', org: GP_PRACTICE, sub: 'dr.patel' });
  await publish(soon, { plan: inDays(5), cpr: inDays(-3) });
  await publish(later, { plan: inDays(40) });
  await publish(farOff, { plan: inDays(100) });
  const toWithdraw = await publish(withdrawn, { plan: inDays(2) });
  expect(
    (
      await api.call('POST', `/patients/${withdrawn}/plan/withdraw`, {
        token: gp,
        json: { reason: 'the patient asked' },
        headers: { 'If-Match': etagOf(toWithdraw) },
      })
    ).status,
  ).toBe(200);
  await api.runtime.settled();
}, 120_000);
afterAll(async () => {
  await api?.close();
});

const reviews = (token: string, query = '') => api.call('GET', `/worklist/reviews${query}`, { token });

describe('GET /worklist/reviews', () => {
  it('lists the care team its reviews due within 30 days or overdue, soonest first, from the published version', async () => {
    const res = await reviews(gp);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      items: [
        { nhsNumber: soon, reviewDate: inDays(-3), kind: 'cpr', overdue: true },
        { nhsNumber: soon, reviewDate: inDays(5), kind: 'plan', overdue: false },
      ],
    });
    // The hospice it was submitted to is in the care team too; a withdrawn plan has no review.
    const hospice = await reviews(api.token({ role: 'nurse', org: HOSPICE }), '?within=60');
    expect(hospice.body.items.map((i: { nhsNumber: string; kind: string }) => [i.nhsNumber, i.kind])).toEqual(
      [
        [soon, 'cpr'],
        [soon, 'plan'],
        [later, 'plan'],
      ],
    );
  });

  it('pages with limit and next', async () => {
    const seen: unknown[] = [];
    let next: string | undefined;
    do {
      const res = await reviews(gp, `?within=366&limit=1${next ? `&next=${next}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items).toHaveLength(1);
      seen.push(res.body.items[0]);
      next = res.body.next;
    } while (next);
    expect(seen.map((i) => (i as { reviewDate: string }).reviewDate)).toEqual([
      inDays(-3),
      inDays(5),
      inDays(40),
      inDays(100),
    ]);
    expectProblem(await reviews(gp, '?next=bm90LW91cnM'), 400);
  });

  it('moves a review when the next version changes its date', async () => {
    const current = await api.call('GET', `/patients/${later}/plan`, { token: gp });
    const edited = await api.call('PATCH', `/patients/${later}/plan`, {
      token: gp,
      json: { sections: { review: { date: inDays(1) } } },
      headers: { 'If-Match': etagOf(current) },
    });
    // A draft does not move it: the published version is in force.
    await api.runtime.settled();
    expect((await reviews(gp, '?within=7')).body.items).toHaveLength(2);
    const ratified = await api.call('POST', `/patients/${later}/plan/ratify`, {
      token: gp,
      headers: { 'If-Match': etagOf(edited) },
    });
    expect(ratified.status).toBe(200);
    await api.runtime.settled();
    const items = (await reviews(gp, '?within=7')).body.items;
    expect(items).toContainEqual({ nhsNumber: later, reviewDate: inDays(1), kind: 'plan', overdue: false });
    expect(
      (await reviews(gp, '?within=60')).body.items.filter(
        (i: { nhsNumber: string }) => i.nhsNumber === later,
      ),
    ).toHaveLength(1);
  });

  it('is for clinicians who write plans, of their own organisation', async () => {
    expect((await reviews(api.token({ role: 'gp', org: 'B82002' }))).body).toEqual({ items: [] });
    // A carer acting for a patient by her grant keeps no worklist: it is about many patients.
    const carerNhs = testNhsNumber(990);
    const granted = await api.call('POST', `/patients/${soon}/carers`, {
      token: api.token({ role: 'patient', nhs: soon }),
      json: carerGrant(carerNhs),
    });
    expect(granted.status, granted.text).toBe(201);
    for (const token of [
      api.token({ role: 'carer', nhs: carerNhs }),
      api.token({ role: 'paramedic', org: 'RRU' }),
      api.token({ role: 'care_home', org: GP_PRACTICE }),
      api.token({ role: 'commissioner', org: 'QKK' }),
      api.token({ role: 'patient', nhs: soon }),
    ]) {
      expectProblem(await reviews(token), 403);
    }
    for (const within of ['-1', '367', 'soon', '1.5'])
      expectProblem(await reviews(gp, `?within=${within}`), 400);
  });
});

describe('npm run reminders', () => {
  const reminders = () =>
    run(process.execPath, ['local/reminders.ts'], {
      env: {
        ...process.env,
        DATA_DIR: api.dataDir,
        DYNAMODB_ENDPOINT: api.table().endpoint,
        TABLE_NAME: api.table().name,
        BASE_URL: api.url,
      },
    });
  const reviewMail = () => api.outbox().filter((m) => /^Subject: Urgent care plan review/m.test(m));

  it('sends each reminder once to each care-team organisation, however often it runs', async () => {
    const admin = api.token({ role: 'admin' });
    for (const [ods, address] of [
      [GP_PRACTICE, 'a81001@nhs.test'],
      [HOSPICE, 'hospice@nhs.test'],
    ] as const) {
      const registered = await api.call('PUT', `/organisations/${ods}`, {
        token: admin,
        json: { name: ods, kind: ods === HOSPICE ? 'hospice' : 'gp_practice', notificationEmail: address },
      });
      expect(registered.status).toBe(201);
    }
    const first = await reminders();
    // Owed: the soon plan's review (due in 5 days), its CPR review (overdue) and the later plan's
    // review moved to tomorrow; not the one in 100 days, nor the withdrawn plan's.
    expect(first.stdout).toBe(
      'reminders: 3 owed, 6 sent, 0 sent before, 0 organisations without an address\n',
    );
    for (let i = 0; i < 2; i += 1) {
      expect((await reminders()).stdout).toBe(
        'reminders: 3 owed, 0 sent, 6 sent before, 0 organisations without an address\n',
      );
    }
    // The server's own schedule, fired as EventBridge would fire it, finds them all sent too.
    await api.fireSchedules();
    const mail = reviewMail();
    expect(mail).toHaveLength(6);
    const to = (address: string) => mail.filter((m) => m.includes(`To: ${address}`));
    expect(to('a81001@nhs.test')).toHaveLength(3);
    expect(to('hospice@nhs.test')).toHaveLength(3);
    expect(mail.filter((m) => /^Subject: Urgent care plan review overdue/m.test(m))).toHaveLength(2);
    expect(mail.filter((m) => m.includes(`due on ${inDays(5)}`))).toHaveLength(2);
    for (const message of mail) {
      for (const nhs of [soon, later, farOff, withdrawn]) expect(message).not.toContain(nhs);
      expect(message).toContain(`${api.url}/worklist/reviews`);
    }
  }, 60_000);
});
