import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../functions/http/routes.ts';
import { ensureDevIssuer } from '../../local/dev-issuer.ts';
import {
  type Api,
  enrolment,
  enrolWithDraft,
  expectBadRequest,
  expectNoStackTrace,
  expectProblem,
  startApi,
  testNhsNumber,
  withWrongCheckDigit,
} from './harness.ts';

/** Every bad input gets a clear 4xx problem+json (docs/api.md "Conventions"): never a 5xx, never a stack trace. */

let api: Api;
let gp: string;
let patient: string;
const nhs = testNhsNumber(10);
const badNhs = withWrongCheckDigit(nhs);
const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

beforeAll(async () => {
  api = await startApi();
  gp = api.token({ role: 'gp', org: 'A81001', sub: 'dr-errors' });
  patient = api.token({ role: 'patient', nhs, sub: 'patient-errors' });
  await enrolWithDraft(api, nhs, patient);
});
afterAll(async () => {
  await api?.close();
});

const edit = { sections: { aboutMe: { whatMattersToMe: 'my garden and my cat' } } };

describe('NHS numbers', () => {
  it('the helper makes valid 999 numbers and invalid ones', () => {
    expect(nhs).toMatch(/^999\d{7}$/);
    expect(badNhs).not.toBe(nhs);
    expect(badNhs.slice(0, 9)).toBe(nhs.slice(0, 9));
  });

  const withNhs = routes.filter((r) => r.path.includes('{nhs}'));
  it.each(withNhs.map((r) => [r.method, r.path] as const))(
    '%s %s: a bad check digit in the path is 400',
    async (method, path) => {
      const res = await api.call(method, path.replace('{nhs}', badNhs).replace('{n}', '1'), {
        token: gp,
        headers: { 'if-match': '"1"' },
        ...(method === 'GET' ? {} : { json: {} }),
      });
      expectBadRequest(res, ['nhs']);
    },
  );

  it('a path NHS number that is not ten digits is 400', async () => {
    const res = await api.call('GET', '/patients/94347659/plan', { token: gp });
    expectBadRequest(res, ['nhs']);
  });

  it('spaces are allowed in the path NHS number', async () => {
    const spaced = `${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`;
    const res = await api.call('GET', `/patients/${encodeURIComponent(spaced)}`, { token: gp });
    expect(res.status).toBe(200);
    expect(res.body.nhsNumber).toBe(nhs);
  });

  it('a bad check digit in the enrolment body is 400 naming nhsNumber', async () => {
    const token = api.token({ role: 'gp', org: 'A81001' });
    const res = await api.call('POST', '/patients', { token, json: enrolment(badNhs) });
    expectBadRequest(res, ['nhsNumber']);
  });
});

describe('bodies', () => {
  it('malformed JSON is 400', async () => {
    const res = await api.call('POST', '/patients', {
      token: gp,
      raw: '{"nhsNumber": "943 476 5919", "name":',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(res, 400);
    expect(Array.isArray(res.body.errors)).toBe(true);
  });

  it('malformed JSON on a plan change is 400', async () => {
    const res = await api.call('PATCH', `/patients/${nhs}/plan`, {
      token: patient,
      raw: "{sections: {aboutMe: 'x'}}",
      headers: { 'content-type': 'application/json', 'if-match': '"1"' },
    });
    expectProblem(res, 400);
  });

  it('an unknown top-level field is 400 naming it', async () => {
    const res = await api.call('POST', '/patients', {
      token: gp,
      json: enrolment(testNhsNumber(11), { religion: 'none' }),
    });
    expectBadRequest(res, []);
    expect(res.body.errors).toContainEqual({ path: '(body)', message: expect.stringContaining('religion') });
  });

  it('unknown fields inside sections are 400 naming their path', async () => {
    const res = await api.call('PATCH', `/patients/${nhs}/plan`, {
      token: patient,
      headers: { 'if-match': '"1"' },
      json: { sections: { aboutMe: { favouriteColour: 'red' }, hobbies: { knitting: true } } },
    });
    expectBadRequest(res, ['sections.aboutMe', 'sections']);
    expect(res.body.errors).toContainEqual({
      path: 'sections.aboutMe',
      message: expect.stringContaining('favouriteColour'),
    });
    expect(res.body.errors).toContainEqual({ path: 'sections', message: expect.stringContaining('hobbies') });
  });

  it('an invalid field value is 400 naming its path', async () => {
    const res = await api.call('PATCH', `/patients/${nhs}/plan`, {
      token: gp,
      headers: { 'if-match': '"1"' },
      json: { sections: { cpr: { decision: 'dnacpr' }, treatment: { ceiling: 'comfort', carePriority: 9 } } },
    });
    expectBadRequest(res, ['sections.cpr.decidedBy', 'sections.treatment.carePriority']);
  });

  it('a body over 64 KiB is 413', async () => {
    const res = await api.call('POST', '/patients', {
      token: gp,
      json: enrolment(testNhsNumber(12), { name: { given: 'x'.repeat(70 * 1024), family: 'Byron' } }),
    });
    expectProblem(res, 413);
  });

  it('a body that is not JSON is 415', async () => {
    const res = await api.call('POST', '/patients', {
      token: gp,
      raw: 'nhsNumber=9434765919',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectProblem(res, 415);
  });

  it('a JSON body labelled text/plain is 415', async () => {
    const res = await api.call('PATCH', `/patients/${nhs}/plan`, {
      token: patient,
      raw: JSON.stringify(edit),
      headers: { 'content-type': 'text/plain', 'if-match': '"1"' },
    });
    expectProblem(res, 415);
  });
});

describe('tokens', () => {
  const path = `/patients/${nhs}/plan`;
  const now = () => Math.floor(Date.now() / 1000);

  it('no token is 401', async () => {
    const res = await api.call('GET', path);
    expectProblem(res, 401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('an expired token is 401', async () => {
    const token = api.sign(
      { sub: 'dr-late', role: 'gp', ods: 'A81001', iat: now() - 7200, exp: now() - 3600 },
      'staff',
    );
    expectProblem(await api.call('GET', path, { token }), 401);
  });

  it('a token signed by an unknown key is 401', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ucp-rogue-'));
    try {
      const rogue = ensureDevIssuer(dir);
      const staff = rogue.sign({ sub: 'dr-rogue', role: 'gp', ods: 'A81001' }, 'staff');
      expectProblem(await api.call('GET', path, { token: staff }), 401);
      const citizen = rogue.sign(
        { sub: 'rogue', role: 'patient', nhs_number: nhs, identity_proofing_level: 'P9' },
        'citizen',
      );
      expectProblem(await api.call('GET', path, { token: citizen }), 401);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a garbage token is 401', async () => {
    expectProblem(await api.call('GET', path, { token: 'not-a-jwt' }), 401);
    expectProblem(await api.call('GET', path, { token: 'a.b.c' }), 401);
    expectProblem(await api.call('GET', path, { headers: { authorization: 'Basic Z3A6c2VjcmV0' } }), 401);
  });

  it('a token for another audience is 401', async () => {
    const token = api.sign({ sub: 'dr-x', role: 'gp', ods: 'A81001', aud: 'another-service' }, 'staff');
    expectProblem(await api.call('GET', path, { token }), 401);
  });

  it('an unsigned token (alg none) is 401', async () => {
    const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const token = `${part({ alg: 'none', typ: 'JWT' })}.${part({
      iss: 'urn:ucp:dev-issuer:staff',
      aud: 'urgent-care-plans',
      sub: 'dr-none',
      role: 'gp',
      ods: 'A81001',
      exp: now() + 600,
    })}.`;
    expectProblem(await api.call('GET', path, { token }), 401);
  });

  it('a patient token at identity proofing level P5 is 403', async () => {
    const token = api.sign(
      { sub: 'patient-p5', role: 'patient', nhs_number: nhs, identity_proofing_level: 'P5' },
      'citizen',
    );
    const res = await api.call('GET', path, { token });
    expectProblem(res, 403);
    expect(res.body.detail).toMatch(/P9/);
  });
});

describe('revisions', () => {
  it('a change without If-Match is 428', async () => {
    const res = await api.call('PATCH', `/patients/${nhs}/plan`, { token: patient, json: edit });
    expectProblem(res, 428);
  });

  it('submit, ratify, return and withdraw without If-Match are 428', async () => {
    const bodies: Record<string, unknown> = {
      submit: { organisation: 'A81001' },
      ratify: {},
      return: { comments: 'please add a contact' },
      withdraw: { reason: 'changed my mind' },
    };
    for (const [command, json] of Object.entries(bodies)) {
      const res = await api.call('POST', `/patients/${nhs}/plan/${command}`, { token: gp, json });
      expectProblem(res, 428);
    }
  });

  it('recording a death reads If-Match only when sent: a stale one is 412, and nothing is written', async () => {
    const res = await api.call('POST', `/patients/${nhs}/death`, {
      token: gp,
      headers: { 'if-match': '"99"' },
      json: { date: new Date().toISOString().slice(0, 10), place: 'home' },
    });
    expectProblem(res, 412);
    const plan = await api.call('GET', `/patients/${nhs}/plan`, { token: patient });
    expect(plan.body).toMatchObject({ status: 'draft' });
  });

  it('a malformed If-Match is 400', async () => {
    for (const ifMatch of ['seven', '"abc"', '*']) {
      const res = await api.call('PATCH', `/patients/${nhs}/plan`, {
        token: patient,
        headers: { 'if-match': ifMatch },
        json: edit,
      });
      expectBadRequest(res, ['If-Match']);
    }
  });

  it('a stale If-Match is 412 with the current revision', async () => {
    const res = await api.call('PATCH', `/patients/${nhs}/plan`, {
      token: patient,
      headers: { 'if-match': '"9"' },
      json: edit,
    });
    expectProblem(res, 412);
    expect(res.body.currentRevision).toBe(1);
  });
});

describe('lists', () => {
  const lists = () => [
    { path: '/worklist/ratifications', token: gp },
    { path: `/patients/${nhs}/access-log`, token: patient },
    { path: `/patients/${nhs}/plan/versions`, token: patient },
  ];

  it('limit=0, limit=500 and limit=abc are 400', async () => {
    for (const { path, token } of lists()) {
      for (const limit of ['0', '500', 'abc', '1.5']) {
        const res = await api.call('GET', `${path}?limit=${limit}`, { token });
        expectBadRequest(res, ['limit']);
      }
    }
  });

  it('limit=1 and limit=200 are accepted', async () => {
    for (const { path, token } of lists()) {
      for (const limit of ['1', '200']) {
        const res = await api.call('GET', `${path}?limit=${limit}`, { token });
        expect(res.status).toBe(200);
        expect(Array.isArray(res.body.items)).toBe(true);
      }
    }
  });

  it('a next cursor that is not one of ours is 400', async () => {
    const garbage = ['%%%not-a-cursor', cursor('plain string'), 'bm90IGpzb24', cursor({ foo: 'bar' })];
    for (const { path, token } of lists()) {
      for (const next of garbage) {
        const res = await api.call('GET', `${path}?next=${encodeURIComponent(next)}`, { token });
        expectBadRequest(res, ['next']);
      }
    }
  });

  it('a forged worklist cursor (right shape, key outside the list) is 400, not 500', async () => {
    const res = await api.call('GET', `/worklist/ratifications?next=${cursor({ sk: 'zzz' })}`, { token: gp });
    expectBadRequest(res, ['next']);
  });

  it('a forged access-log cursor (right shape, keys outside the log) is 400, not 500', async () => {
    const res = await api.call(
      'GET',
      `/patients/${nhs}/access-log?next=${cursor({ reads: 'zzz', changes: 'yyy' })}`,
      {
        token: patient,
      },
    );
    expectBadRequest(res, ['next']);
  });
});

describe('who may read', () => {
  it("a patient reading another patient's plan is 403", async () => {
    const other = api.token({ role: 'patient', nhs: '9434765919', sub: 'someone-else' });
    for (const path of [
      `/patients/${nhs}/plan`,
      `/patients/${nhs}/plan/summary`,
      `/patients/${nhs}/plan/versions`,
      `/patients/${nhs}/access-log`,
      `/patients/${nhs}`,
    ]) {
      const res = await api.call('GET', path, { token: other });
      expectProblem(res, 403);
    }
  });

  it("a patient changing another patient's plan is 403", async () => {
    const other = api.token({ role: 'patient', nhs: '9434765919', sub: 'someone-else' });
    const res = await api.call('PATCH', `/patients/${nhs}/plan`, {
      token: other,
      headers: { 'if-match': '"1"' },
      json: edit,
    });
    expectProblem(res, 403);
  });

  it('a patient enrolling someone else is 403', async () => {
    const res = await api.call('POST', '/patients', { token: patient, json: enrolment(testNhsNumber(14)) });
    expectProblem(res, 403);
  });

  it('a purpose over 200 characters is 400', async () => {
    const res = await api.call('GET', `/patients/${nhs}/plan?purpose=${'x'.repeat(201)}`, { token: patient });
    expectBadRequest(res, ['purpose']);
  });

  it('a version that is not a whole number from 1 is 400', async () => {
    for (const n of ['abc', '0', '-1', '1.5']) {
      const res = await api.call('GET', `/patients/${nhs}/plan/versions/${n}`, { token: patient });
      expectBadRequest(res, ['n']);
    }
  });

  it('a break-glass reason under 10 characters is 400', async () => {
    const careHome = api.token({ role: 'care_home', org: 'NCH01' });
    const res = await api.call('GET', `/patients/${nhs}/plan`, {
      token: careHome,
      headers: { 'break-glass': 'urgent' },
    });
    expectBadRequest(res, ['Break-Glass']);
  });

  it('a patient who is not enrolled is 404', async () => {
    const res = await api.call('GET', `/patients/${testNhsNumber(13)}/plan/summary`, {
      token: api.token({ role: 'paramedic', org: 'RRU' }),
    });
    expectProblem(res, 404);
  });
});

describe('routes and metadata', () => {
  it('an unknown route is 404 problem+json', async () => {
    expectProblem(await api.call('GET', '/no/such/route'), 404);
    expectProblem(await api.call('GET', `/patients/${nhs}/nothing-here`, { token: gp }), 404);
  });

  it('GET /health is 200 {status:"ok"} without a token', async () => {
    const res = await api.call('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /openapi.json is an OpenAPI 3.1 document with every route', async () => {
    const res = await api.call('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body.openapi).toMatch(/^3\.1\.\d+$/);
    expect(res.body.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    const documented = Object.entries(res.body.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, item]) =>
        Object.keys(item)
          .filter((k) => ['get', 'post', 'patch', 'put', 'delete'].includes(k))
          .map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
    for (const route of routes.filter((r) => r.auth)) {
      const operation = res.body.paths[route.path][route.method.toLowerCase()];
      expect(operation.security).toEqual([{ bearer: [] }]);
    }
    expectNoStackTrace(res);
  });
});
