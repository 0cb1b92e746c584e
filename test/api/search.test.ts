import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { captureLogs } from '../support/logs.ts';
import {
  type Api,
  carerGrant,
  enrolment,
  expectBadRequest,
  expectProblem,
  startApi,
  testNhsNumber,
} from './harness.ts';

/**
 * Finding a patient over HTTP (GET /patients), with the Personal Demographics Service's semantics:
 * exact, wildcard, range and fuzzy searches; too many matches; who may search; each match an
 * access record the patient sees; and no search term in any log line.
 */

vi.hoisted(() => {
  // Before any module makes its logger: the request lines are read at INFO, as `npm start` logs.
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
});

let api: Api;
const GP_PRACTICE = 'A81001';
const byron = testNhsNumber(500);
const smyth = testNhsNumber(501);
const obrien = testNhsNumber(502);
const byrne = testNhsNumber(503);
const many = Array.from({ length: 51 }, (_, i) => testNhsNumber(600 + i));

let paramedic: string;

beforeAll(async () => {
  api = await startApi();
  paramedic = api.token({ role: 'paramedic', org: 'RRU', sub: 'crew-7' });
  const gp = api.token({ role: 'gp', org: GP_PRACTICE });
  const quiet = captureLogs();
  try {
    const enrol = async (nhs: string, overrides: Record<string, unknown>) =>
      expect(
        (await api.call('POST', '/patients', { token: gp, json: enrolment(nhs, overrides) })).status,
      ).toBe(201);
    await enrol(byron, { gender: 'female' });
    await enrol(smyth, {
      name: { given: 'John', family: 'Smyth' },
      birthDate: '1950-03-04',
      postcode: 'LS1 4AP',
    });
    await enrol(obrien, { name: { given: 'Émilie', family: "O'Brien-Dupont" }, birthDate: '1938-08-08' });
    await enrol(byrne, {
      name: { given: 'Ada', family: 'Byrne' },
      birthDate: '1941-02-12',
      postcode: 'E1 6AN',
    });
    for (const nhs of many)
      await enrol(nhs, { name: { given: 'Sam', family: 'Many' }, birthDate: '1960-01-01' });
    await api.runtime.settled();
  } finally {
    quiet.restore();
  }
}, 120_000);
afterAll(async () => {
  await api?.close();
});

const search = (query: string, token = paramedic, headers: Record<string, string> = {}) =>
  api.call('GET', `/patients?${query}`, { token, headers });
const found = async (query: string, token = paramedic) => {
  const res = await search(query, token);
  expect(res.status, res.text).toBe(200);
  return res.body.items as { nhsNumber: string; score: number }[];
};

describe('GET /patients', () => {
  it('finds "Byron, 1941-02-11" from byr*, with its demographics and a score of 1', async () => {
    const res = await search('family=byr*&birthDate=1941-02-11');
    expect(res.body).toEqual({
      items: [
        {
          nhsNumber: byron,
          name: { given: 'Ada', family: 'Byron' },
          birthDate: '1941-02-11',
          postcode: 'SW1A 1AA',
          score: 1,
        },
      ],
    });
    expect((await found('family=BYRON&birthDate=1941-02-11')).map((m) => m.nhsNumber)).toEqual([byron]);
  });

  it('takes a birth date range, and filters by given name, postcode and gender', async () => {
    const range = 'family=by*&birthDate=ge1941-01-01&birthDate=le1941-12-31';
    expect((await found(range)).map((m) => m.nhsNumber).sort()).toEqual([byron, byrne].sort());
    expect((await found(`${range}&given=ada&postcode=sw1a1aa`)).map((m) => m.nhsNumber)).toEqual([byron]);
    expect(await found('family=byron&birthDate=1941-02-11&gender=male')).toEqual([]);
    expect(await found('family=byron&birthDate=1941-02-11&gender=female')).toHaveLength(1);
    expect(await found('family=byron&birthDate=1941-02-12')).toEqual([]);
  });

  it('compares names without case, accents or punctuation', async () => {
    expect(
      (await found('family=obrien%20dupont&birthDate=1938-08-08&given=EMILIE')).map((m) => m.nhsNumber),
    ).toEqual([obrien]);
    expect((await found("family=O'BRIEN-DUP*&birthDate=1938-08-08")).map((m) => m.nhsNumber)).toEqual([
      obrien,
    ]);
  });

  it('finds "Smyth" from "Smith" in fuzzy mode only', async () => {
    expect(await found('family=Smith&given=John&birthDate=1950-03-04')).toEqual([]);
    expect(await found('family=Smith&given=John&birthDate=1950-03-04&fuzzy=true')).toEqual([
      expect.objectContaining({ nhsNumber: smyth, name: { given: 'John', family: 'Smyth' }, score: 0.8 }),
    ]);
    expect(await found('family=Smyth&given=Jon&birthDate=1950-03-04&fuzzy=true')).toEqual([
      expect.objectContaining({ nhsNumber: smyth, score: 0.8 }),
    ]);
    expect(await found('family=Jones&given=John&birthDate=1950-03-04&fuzzy=true')).toEqual([]);
  });

  it('refuses a surname alone, and a fuzzy search without given name or with a range (400)', async () => {
    expectBadRequest(await search('family=Byron'), ['birthDate']);
    expectBadRequest(await search('birthDate=1941-02-11'), ['family']);
    expectBadRequest(await search('family=Byron&birthDate=1941-02-11&fuzzy=true'), ['given']);
    expectBadRequest(
      await search('family=Byron&given=Ada&birthDate=ge1941-01-01&birthDate=le1941-12-31&fuzzy=true'),
      ['birthDate'],
    );
    expectBadRequest(await search('family=b*&birthDate=1941-02-11'), ['family']);
    expectBadRequest(await search('family=Byron&birthDate=ge1941-01-01'), ['birthDate']);
    expectBadRequest(await search('family=Byron&birthDate=1941-02-30'), ['birthDate']);
    expectBadRequest(await search('family=Byron&birthDate=1941-02-11&gender=x'), ['gender']);
  });

  it('answers more than 50 matches with 422 "too many matches"', async () => {
    const res = await search('family=many&birthDate=1960-01-01');
    expectProblem(res, 422);
    expect(res.body.detail).toMatch(/too many matches/);
    expect(await found('family=many&birthDate=1960-01-02')).toEqual([]);
  });

  it('is for clinicians and urgent care; others get 403', async () => {
    // A carer acting for Ada by her co-author grant still finds no one: a carer acts for one patient.
    const carerNhs = testNhsNumber(700);
    const granted = await api.call('POST', `/patients/${byron}/carers`, {
      token: api.token({ role: 'patient', nhs: byron }),
      json: carerGrant(carerNhs),
    });
    expect(granted.status, granted.text).toBe(201);
    for (const token of [
      api.token({ role: 'patient', nhs: byron }),
      api.token({ role: 'carer', nhs: carerNhs }),
      api.token({ role: 'care_home', org: GP_PRACTICE }),
      api.token({ role: 'privacy_officer', org: GP_PRACTICE }),
      api.token({ role: 'commissioner', org: 'QKK' }),
      api.token({ role: 'admin' }),
    ]) {
      expectProblem(await search('family=byron&birthDate=1941-02-11', token), 403);
    }
    expect(
      await found('family=byron&birthDate=1941-02-11', api.token({ role: 'call_handler', org: 'NHS111' })),
    ).toHaveLength(1);
    expect(
      await found('family=byron&birthDate=1941-02-11', api.token({ role: 'nurse', org: GP_PRACTICE })),
    ).toHaveLength(1);
  });

  it('shows a clinician outside the care team no one, unless they break glass', async () => {
    const stranger = api.token({ role: 'gp', org: 'B82002', sub: 'dr.other' });
    expect(await found('family=byron&birthDate=1941-02-11', stranger)).toEqual([]);
    const glass = await search('family=byron&birthDate=1941-02-11', stranger, {
      'Break-Glass': 'unconscious patient in surgery, no other record',
    });
    expect(glass.body.items.map((m: { nhsNumber: string }) => m.nhsNumber)).toEqual([byron]);
  });

  it("writes each match into the patient's access log (found_by_search), with the purpose", async () => {
    const crew = api.token({ role: 'paramedic', org: 'RRU', sub: 'crew-log' });
    const res = await search(
      `family=byron&birthDate=1941-02-11&purpose=${encodeURIComponent('999 call')}`,
      crew,
    );
    expect(res.status).toBe(200);
    const log = await api.call('GET', `/patients/${byron}/access-log`, {
      token: api.token({ role: 'patient', nhs: byron }),
    });
    expect(log.body.items).toContainEqual({
      at: expect.any(String),
      actor: { id: 'crew-log', role: 'paramedic', organisation: 'RRU' },
      action: 'found_by_search',
      purpose: '999 call',
      breakGlass: false,
    });
    const reports = await api.call('GET', '/break-glass-reports', {
      token: api.token({ role: 'privacy_officer', org: 'B82002' }),
    });
    expect(reports.body.items).toContainEqual(
      expect.objectContaining({
        nhsNumber: byron,
        action: 'found_by_search',
        reader: expect.objectContaining({ id: 'dr.other' }),
      }),
    );
    // Not found is not read: Smyth's log has no search of Byron's.
    const smythLog = await api.call('GET', `/patients/${smyth}/access-log`, {
      token: api.token({ role: 'patient', nhs: smyth }),
    });
    expect(
      smythLog.body.items.filter((e: { action: string }) => e.action === 'found_by_search'),
    ).toHaveLength(2);
  });

  it('never logs a search term: the request line names the route template only', async () => {
    const logs = captureLogs();
    try {
      await search('family=Smith&given=Jonathan&birthDate=1950-03-04&postcode=LS1%204AP&fuzzy=true');
      await search('family=Zebedee*&birthDate=1977-07-07');
      await search('family=many&birthDate=1960-01-01');
      await api.runtime.settled();
    } finally {
      logs.restore();
    }
    const everything = logs.lines.join('\n');
    expect(everything).toContain('"route":"/patients"');
    for (const term of [
      'Smith',
      'Jonathan',
      '1950-03-04',
      'LS1',
      'Zebedee',
      '1977-07-07',
      'many&',
      'family=',
    ]) {
      expect(everything).not.toContain(term);
    }
  });
});
