import { createHash } from 'node:crypto';
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Api,
  type ApiResponse,
  enrolWithDraft,
  etagOf,
  expectNoStackTrace,
  expectProblem,
  startApi,
  testNhsNumber,
} from './harness.ts';

/**
 * Launch from a host system over real HTTP (RFC 8693 token exchange): a clinician "inside EMIS"
 * reaches one patient's plan with no second login, only that patient, audited; every refusal is
 * RFC 6749's JSON with no token; a CIS2-style national token is mapped by its issuer's settings.
 * Host assertions and national tokens are signed here with jose, apart from the service's code.
 */

const HOST = 'test-emis';
const OTHER_HOST = 'other-host';
const PRACTICE = 'A81001';
const nhs = testNhsNumber(70);
const otherNhs = testNhsNumber(71);
const CIS2 = 'https://cis2.test/openam/oauth2/realms/NHSIdentity/realms/Healthcare';

type Key = { privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey']; jwk: JWK; kid: string };
const keyPair = async (alg: 'ES256' | 'RS256', kid: string): Promise<Key> => {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }, kid };
};

let api: Api;
let host: Key;
let otherHost: Key;
let national: Key;

const now = () => Math.floor(Date.now() / 1000);
const jtis = (function* () {
  for (let n = 1; ; n += 1) yield `launch-${Date.now()}-${n}`;
})();
const assertionClaims = (overrides: Record<string, unknown> = {}) => ({
  iss: HOST,
  sub: 'dr.patel',
  aud: 'urgent-care-plans',
  iat: now(),
  exp: now() + 240,
  jti: jtis.next().value,
  ods: PRACTICE,
  role: 'R8000',
  patient: nhs,
  name: 'Dr A Patel',
  ...overrides,
});
const sign = (
  claims: Record<string, unknown>,
  key: Key = host,
  alg = key.jwk.alg as string,
): Promise<string> =>
  new SignJWT(claims).setProtectedHeader({ alg, kid: key.kid, typ: 'JWT' }).sign(key.privateKey);

const exchange = (assertion: string, extra: Record<string, string> = {}) =>
  api.call('POST', '/token', {
    raw: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: assertion,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      ...extra,
    }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });

/** RFC 6749 §5.2: 400, JSON, the error code, a description; no token; the problem's members too. */
const expectRefused = (res: ApiResponse, error: string, description?: RegExp) => {
  expect({ status: res.status, error: res.body?.error }).toEqual({ status: 400, error });
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.body).toMatchObject({
    error_description: expect.any(String),
    status: 400,
    title: 'Bad Request',
  });
  expect(res.body.detail).toBe(res.body.error_description);
  if (description) expect(res.body.error_description).toMatch(description);
  expect(res.body.access_token).toBeUndefined();
  expectNoStackTrace(res);
};

const accessLog = async () =>
  (
    await api.call('GET', `/patients/${nhs}/access-log?limit=200`, {
      token: api.token({ role: 'patient', nhs }),
    })
  ).body.items as {
    action: string;
    via?: string;
    onBehalfOf?: string;
    grantId?: string;
    actor: Record<string, unknown>;
  }[];

beforeAll(async () => {
  [host, otherHost, national] = await Promise.all([
    keyPair('ES256', 'emis-2026'),
    keyPair('RS256', 'other-2026'),
    keyPair('RS256', 'cis2-key'),
  ]);
  api = await startApi({
    extraTrustedIssuers: [
      {
        kind: 'staff',
        issuer: CIS2,
        audience: 'urgent-care-plans',
        jwksUri: 'https://cis2.test/openam/oauth2/connect/jwk_uri',
        jwks: { keys: [national.jwk as never] },
        roleClaim: 'selected_role_code',
        odsClaim: 'org_code',
        roles: { R8000: 'gp', R8001: 'nurse' },
      },
    ],
  });
  const admin = api.token({ role: 'admin', sub: 'ops.lead' });
  for (const [id, key] of [
    [HOST, host],
    [OTHER_HOST, otherHost],
  ] as const) {
    const res = await api.call('PUT', `/host-systems/${id}`, {
      token: admin,
      json: {
        name: `${id} (test)`,
        jwks: { keys: [key.jwk] },
        organisations: [PRACTICE, 'B82002'],
        roles: { R8000: 'gp', R8001: 'nurse' },
      },
    });
    expect(res.status, res.text).toBe(201);
  }
  // A published plan at the practice, and another patient of the same practice.
  const gp = api.token({ role: 'gp', org: PRACTICE, sub: 'dr.jones' });
  for (const n of [nhs, otherNhs]) {
    const patient = api.token({ role: 'patient', nhs: n });
    await enrolWithDraft(api, n, patient);
    const submitted = await api.call('POST', `/patients/${n}/plan/submit`, {
      token: patient,
      json: { organisation: PRACTICE },
      headers: { 'if-match': '"1"' },
    });
    expect(submitted.status).toBe(200);
    const ratified = await api.call('POST', `/patients/${n}/plan/ratify`, {
      token: gp,
      headers: { 'if-match': etagOf(submitted) },
    });
    expect(ratified.status, ratified.text).toBe(200);
  }
}, 120_000);
afterAll(async () => {
  await api?.close();
});

describe('a clinician launched from a host system', () => {
  it('exchanges the host’s assertion for a 15-minute token of the service’s, about one patient', async () => {
    const res = await exchange(await sign(assertionClaims()));
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({
      access_token: expect.any(String),
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: 900,
      patient: nhs,
    });
    // Verified against the service's published keys by an independent library.
    const keys = (await api.call('GET', '/.well-known/jwks.json')).body;
    const { payload, protectedHeader } = await jwtVerify(res.body.access_token, createLocalJWKSet(keys), {
      issuer: 'urgent-care-plans',
      audience: 'urgent-care-plans',
      algorithms: ['ES256'],
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt', kid: keys.keys[0].kid });
    expect(payload).toMatchObject({ sub: 'dr.patel', role: 'gp', ods: PRACTICE, patient: nhs, via: HOST });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(900);
  });

  it('reads that patient’s plan with no second login, and the launch and the read are audited with via', async () => {
    const token = (await exchange(await sign(assertionClaims({ sub: 'dr.audit' })))).body.access_token;
    const plan = await api.call('GET', `/patients/${nhs}/plan?purpose=home%20visit`, { token });
    expect(plan.status, plan.text).toBe(200);
    expect(plan.body.status).toBe('published');
    const summary = await api.call('GET', `/patients/${nhs}/plan/summary`, { token });
    expect(summary.status).toBe(200);

    const mine = (await accessLog()).filter((e) => e.actor.id === 'dr.audit');
    expect(mine.map((e) => e.action).sort()).toEqual(['launched', 'read_plan', 'read_summary']);
    for (const entry of mine) {
      expect(entry.via, JSON.stringify(mine)).toBe(HOST);
      expect(entry.actor).toEqual({ id: 'dr.audit', role: 'gp', organisation: PRACTICE, via: HOST });
    }
    await api.runtime.settled();
    const launched = (await api.archived()).filter(
      (a) => a.event['detail-type'] === 'Session.Launched' && a.event.detail.user.id === 'dr.audit',
    );
    expect(launched).toHaveLength(1);
    expect(launched[0]?.event.detail).toMatchObject({
      nhsNumber: nhs,
      hostSystem: HOST,
      hostRole: 'R8000',
      user: { id: 'dr.audit', role: 'gp', organisation: PRACTICE, via: HOST },
      sessionId: expect.any(String),
    });
    expect(JSON.stringify(launched[0]?.event)).not.toContain('Dr A Patel');
  });

  it('may not use the token on another patient, nor on lists about no one patient: 403', async () => {
    const token = (await exchange(await sign(assertionClaims()))).body.access_token;
    for (const path of [
      `/patients/${otherNhs}/plan`,
      `/patients/${otherNhs}/plan/summary`,
      `/patients/${otherNhs}`,
      '/worklist/ratifications',
      `/organisations/${PRACTICE}`,
    ]) {
      const res = await api.call('GET', path, { token });
      expectProblem(res, 403);
    }
    const otherEnrol = await api.call('POST', '/patients', {
      token,
      json: {
        nhsNumber: testNhsNumber(72),
        name: { given: 'A', family: 'B' },
        birthDate: '1940-01-01',
        postcode: 'SW1A 1AA',
        gpPractice: PRACTICE,
      },
    });
    expectProblem(otherEnrol, 403);
    expect(
      (
        await api.call('GET', `/patients/${otherNhs.replace(/(\d{3})(\d{3})(\d{4})/, '$1%20$2%20$3')}/plan`, {
          token,
        })
      ).status,
    ).toBe(403);
    // Its own patient, spaced as people write it, is the same patient.
    const spaced = nhs.replace(/(\d{3})(\d{3})(\d{4})/, '$1%20$2%20$3');
    expect((await api.call('GET', `/patients/${spaced}/plan`, { token })).status).toBe(200);
  });

  it('may not read the outcome report, the review worklist or search: 403, though the same GP’s own login may', async () => {
    const token = (await exchange(await sign(assertionClaims()))).body.access_token;
    const ownLogin = api.token({ role: 'gp', org: PRACTICE, sub: 'dr.audit' });
    await api.runtime.settled(); // the search keys are projected from the enrolments
    // The search would find both of the practice's Ada Byrons: a launched session is about one.
    const search = '/patients?family=byr*&birthDate=1941-02-11';
    for (const path of ['/reports/outcomes?from=2026-01&to=2026-02', '/worklist/reviews?within=30', search]) {
      expectProblem(await api.call('GET', path, { token }), 403);
      expect((await api.call('GET', path, { token: ownLogin })).status).toBe(200);
    }
    const found = await api.call('GET', search, { token: ownLogin });
    expect(found.body.items.map((m: { nhsNumber: string }) => m.nhsNumber).sort()).toEqual(
      [nhs, otherNhs].sort(),
    );
  });
});

describe('the care network, from a launched session', () => {
  const HOSPICE = 'H12345';
  const grantFor = (carerNhs: string) => ({
    carer: { nhsNumber: carerNhs, name: 'Ruth Byron' },
    relationship: 'daughter',
    legalBasis: 'lasting-power-of-attorney-health-welfare',
    access: 'read',
  });

  it('keeps its one patient’s carers and care team, each change and read via the host; a carer is never via one', async () => {
    const token = (await exchange(await sign(assertionClaims({ sub: 'dr.network' })))).body.access_token;
    const carerNhs = testNhsNumber(73);
    const granted = await api.call('POST', `/patients/${nhs}/carers`, { token, json: grantFor(carerNhs) });
    expect(granted.status, granted.text).toBe(201);
    expect(granted.body.grantedBy).toEqual({
      id: 'dr.network',
      role: 'gp',
      organisation: PRACTICE,
      via: HOST,
    });
    const joined = await api.call('PUT', `/patients/${nhs}/care-team/${HOSPICE}`, {
      token,
      json: { reason: 'hospice at home team now visiting' },
    });
    expect(joined.status, joined.text).toBe(201);
    expect((await api.call('GET', `/patients/${nhs}/care-team`, { token })).status).toBe(200);
    expect((await api.call('GET', `/patients/${nhs}/carers`, { token })).status).toBe(200);
    // The carer signs in as themselves and reads by the grant: for the patient, through no host.
    const carer = api.token({ role: 'carer', nhs: carerNhs });
    expect((await api.call('GET', `/patients/${nhs}/plan`, { token: carer })).status).toBe(200);

    const log = await accessLog();
    const launched = log.filter((e) => e.actor.id === 'dr.network');
    expect(launched.map((e) => e.action).sort()).toEqual([
      'grantCarer',
      'joinCareTeam',
      'launched',
      'read_care_team',
      'read_carers',
    ]);
    for (const entry of launched) {
      expect(entry.via, JSON.stringify(entry)).toBe(HOST);
      expect(entry.onBehalfOf).toBeUndefined();
    }
    const byCarer = log.find((e) => e.actor.role === 'carer' && e.action === 'read_plan');
    expect(byCarer).toMatchObject({ onBehalfOf: nhs, grantId: granted.body.id });
    expect(byCarer?.via).toBeUndefined();
  });

  it('another patient’s carers and care team, and an organisation’s patients, are 403; nothing changes', async () => {
    const token = (await exchange(await sign(assertionClaims()))).body.access_token;
    const requests: [method: string, path: string, json?: unknown][] = [
      ['GET', `/patients/${otherNhs}/carers`],
      ['POST', `/patients/${otherNhs}/carers`, grantFor(testNhsNumber(74))],
      ['DELETE', `/patients/${otherNhs}/carers/1`, { reason: 'no longer caring' }],
      ['GET', `/patients/${otherNhs}/care-team`],
      ['PUT', `/patients/${otherNhs}/care-team/${HOSPICE}`, { reason: 'hospice at home' }],
      ['DELETE', `/patients/${otherNhs}/care-team/${HOSPICE}`, { reason: 'discharged' }],
      ['GET', `/organisations/${PRACTICE}/patients`],
    ];
    for (const [method, path, json] of requests) {
      const res = await api.call(method, path, { token, ...(json !== undefined && { json }) });
      expectProblem(res, 403);
    }
    const patient = api.token({ role: 'patient', nhs: otherNhs });
    const carers = await api.call('GET', `/patients/${otherNhs}/carers`, { token: patient });
    expect(carers.body.items).toEqual([]);
    const team = await api.call('GET', `/patients/${otherNhs}/care-team`, { token: patient });
    expect(team.body.items.map((m: { organisation: string }) => m.organisation)).not.toContain(HOSPICE);
    // The same user signed in as themselves lists the practice's patients.
    const own = api.token({ role: 'gp', org: PRACTICE, sub: 'dr.patel' });
    expect((await api.call('GET', `/organisations/${PRACTICE}/patients`, { token: own })).status).toBe(200);
  });
});

describe('FHIR, record-locator pointers and the signed summary, from a launched session', () => {
  const NRL_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
  const pointers = (subject: string) =>
    `/DocumentReference?subject:identifier=${encodeURIComponent(`${NRL_SYSTEM}|${subject}`)}`;
  const signedSummary = (patient: string, token: string) =>
    api.call('GET', `/patients/${patient}/plan/summary`, { token, headers: { accept: 'application/jose' } });

  it('reads its patient’s FHIR document, pointer and signed summary, each read audited via the host', async () => {
    const token = (await exchange(await sign(assertionClaims({ sub: 'dr.fhir' })))).body.access_token;
    const document = await api.call('GET', `/patients/${nhs}/plan/fhir`, { token });
    expect(document.status, document.text).toBe(200);
    expect(document.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    expect(document.body).toMatchObject({ resourceType: 'Bundle', type: 'document' });
    const found = await api.call('GET', pointers(nhs), { token });
    expect(found.status, found.text).toBe(200);
    expect(found.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 1 });
    expect(found.body.entry[0].resource.subject.identifier.value).toBe(nhs);
    // The patient as people write it, spaced, is the same patient.
    const spaced = nhs.replace(/(\d{3})(\d{3})(\d{4})/, '$1 $2 $3');
    expect((await api.call('GET', pointers(spaced), { token })).status).toBe(200);
    const summary = await signedSummary(nhs, token);
    expect(summary.status, summary.text).toBe(200);
    const keys = (await api.call('GET', '/.well-known/jwks.json')).body;
    const { payload } = await jwtVerify(summary.text, createLocalJWKSet(keys), { algorithms: ['ES256'] });
    expect(payload).toMatchObject({ nhsNumber: nhs, planVersion: 1 });

    const mine = (await accessLog()).filter((e) => e.actor.id === 'dr.fhir');
    expect(mine.map((e) => e.action).sort()).toEqual([
      'launched',
      'read_plan_fhir',
      'read_summary',
      'search_pointers',
      'search_pointers',
    ]);
    for (const entry of mine) {
      expect(entry.via, JSON.stringify(entry)).toBe(HOST);
      expect(entry.actor).toEqual({ id: 'dr.fhir', role: 'gp', organisation: PRACTICE, via: HOST });
    }
    await api.runtime.settled();
    const reads = (await api.archived()).filter(
      (a) => a.event['detail-type'] === 'CarePlan.Accessed' && a.event.detail.reader.id === 'dr.fhir',
    );
    expect(reads.map((a) => a.event.detail.action).sort()).toEqual([
      'read_plan_fhir',
      'read_summary',
      'search_pointers',
      'search_pointers',
    ]);
    for (const read of reads) expect(read.event.detail.reader.via).toBe(HOST);
  });

  it('another patient’s FHIR document, pointers and signed summary are 403, and nothing is read', async () => {
    const token = (await exchange(await sign(assertionClaims({ sub: 'dr.elsewhere' })))).body.access_token;
    for (const path of [
      `/patients/${otherNhs}/plan/fhir`,
      `/patients/${otherNhs}/plan/fhir?version=1`,
      pointers(otherNhs),
      pointers(otherNhs.replace(/(\d{3})(\d{3})(\d{4})/, '$1 $2 $3')),
    ]) {
      const res = await api.call('GET', path, { token });
      expectProblem(res, 403);
      expect(res.body.detail, path).toMatch(/another patient/);
    }
    expectProblem(await signedSummary(otherNhs, token), 403);
    // A search that names no patient is the bad request it is for anyone, never a read.
    expectProblem(await api.call('GET', '/DocumentReference', { token }), 400);
    expectProblem(
      await api.call(
        'GET',
        `/DocumentReference?subject:identifier=${encodeURIComponent(`https://example.org|${otherNhs}`)}`,
        {
          token,
        },
      ),
      400,
    );
    const theirs = await api.call('GET', `/patients/${otherNhs}/access-log?limit=200`, {
      token: api.token({ role: 'patient', nhs: otherNhs }),
    });
    expect(theirs.body.items.filter((e: { actor: { id: string } }) => e.actor.id === 'dr.elsewhere')).toEqual(
      [],
    );
    // The same user signed in as themselves finds the other patient's pointer.
    const own = api.token({ role: 'gp', org: PRACTICE, sub: 'dr.elsewhere' });
    expect((await api.call('GET', pointers(otherNhs), { token: own })).body.total).toBe(1);
  });
});

type Refusal = [what: string, assertion: () => Promise<string>, error: string, description?: RegExp];

describe('refusals: each RFC 6749’s JSON, no token issued, nothing launched', () => {
  it.each<Refusal>([
    [
      'an expired assertion',
      async () => sign(assertionClaims({ iat: now() - 600, exp: now() - 300 })),
      'invalid_grant',
      /expired/,
    ],
    [
      'an assertion living more than 5 minutes',
      async () => sign(assertionClaims({ exp: now() + 3600 })),
      'invalid_grant',
      /5 minutes/,
    ],
    [
      'the wrong audience',
      async () => sign(assertionClaims({ aud: 'another-service' })),
      'invalid_grant',
      /aud/,
    ],
    [
      'an unknown host',
      async () => sign(assertionClaims({ iss: 'unknown-host' })),
      'invalid_grant',
      /registered host/,
    ],
    [
      'an ODS code the host may not speak for',
      async () => sign(assertionClaims({ ods: 'Z99999' })),
      'unauthorized_client',
      /Z99999/,
    ],
    [
      'a role code the host does not map',
      async () => sign(assertionClaims({ role: 'R9999' })),
      'invalid_grant',
      /R9999/,
    ],
    [
      'a key of another host',
      async () => sign(assertionClaims(), otherHost),
      'invalid_grant',
      /key of this host/,
    ],
    [
      'another host’s key under this host’s kid',
      async () => sign(assertionClaims(), { ...otherHost, kid: host.kid }),
      'invalid_grant',
      /signature|RS256 or ES256/,
    ],
    [
      'alg none',
      async () => {
        const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
        return `${encode({ alg: 'none', typ: 'JWT', kid: host.kid })}.${encode(assertionClaims())}.`;
      },
      'invalid_grant',
      undefined,
    ],
    [
      'HS256 keyed with the host’s public key',
      async () =>
        new SignJWT(assertionClaims())
          .setProtectedHeader({ alg: 'HS256', kid: host.kid })
          .sign(createHash('sha256').update(JSON.stringify(host.jwk)).digest()),
      'invalid_grant',
      undefined,
    ],
    [
      'no patient',
      async () => sign(assertionClaims({ patient: '1234567890' })),
      'invalid_grant',
      /NHS number/,
    ],
    ['no jti', async () => sign(assertionClaims({ jti: undefined })), 'invalid_grant', /jti/],
    ['not a JWT', async () => 'not-a-jwt', 'invalid_request', undefined],
  ])('%s', async (_, assertion, error, description) => {
    const before = (await accessLog()).length;
    expectRefused(await exchange(await assertion()), error, description);
    expect((await accessLog()).length).toBe(before);
  });

  it('a replayed jti: the second exchange of the same assertion', async () => {
    const assertion = await sign(assertionClaims());
    expect((await exchange(assertion)).status).toBe(200);
    expectRefused(await exchange(assertion), 'invalid_grant', /used already/);
  });

  it('a form that is not a token exchange', async () => {
    const assertion = await sign(assertionClaims());
    expectRefused(await exchange(assertion, { grant_type: 'client_credentials' }), 'unsupported_grant_type');
    expectRefused(
      await exchange(assertion, { subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' }),
      'invalid_request',
    );
    expectRefused(
      await exchange(assertion, { requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }),
      'invalid_request',
    );
    const duplicate = await api.call('POST', '/token', {
      raw: `grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=${assertion}&subject_token=${assertion}&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectRefused(duplicate, 'invalid_request', /more than once/);
    const asJson = await api.call('POST', '/token', {
      json: { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: assertion },
    });
    expectRefused(asJson, 'invalid_request', /x-www-form-urlencoded/);
    expectRefused(
      await api.call('POST', '/token', {
        raw: '',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      'invalid_request',
    );
    // None of them used the assertion up.
    expect((await exchange(assertion)).status).toBe(200);
  });
});

describe('the host system registry', () => {
  const entry = {
    name: 'SystmOne (test)',
    jwksUri: 'https://keys.tpp.test/jwks.json',
    organisations: ['B82002'],
    roles: { R8000: 'gp' },
  };

  it('is kept by service administrators only, as revisions replaced with If-Match', async () => {
    const admin = api.token({ role: 'admin', sub: 'ops.lead' });
    for (const token of [
      api.token({ role: 'admin', org: PRACTICE }),
      api.token({ role: 'gp', org: PRACTICE }),
      api.token({ role: 'patient', nhs }),
    ]) {
      expectProblem(await api.call('PUT', '/host-systems/systmone', { token, json: entry }), 403);
      expectProblem(await api.call('GET', `/host-systems/${HOST}`, { token }), 403);
    }
    const created = await api.call('PUT', '/host-systems/systmone', { token: admin, json: entry });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 'systmone',
      ...entry,
      revision: 1,
      updatedBy: { id: 'ops.lead', role: 'admin' },
    });
    expectProblem(await api.call('PUT', '/host-systems/systmone', { token: admin, json: entry }), 428);
    const replaced = await api.call('PUT', '/host-systems/systmone', {
      token: admin,
      json: { ...entry, organisations: ['B82002', 'C83003'] },
      headers: { 'if-match': etagOf(created) },
    });
    expect(replaced.status).toBe(200);
    expect(etagOf(replaced)).toBe('"2"');
    expectProblem(
      await api.call('PUT', '/host-systems/systmone', {
        token: admin,
        json: entry,
        headers: { 'if-match': '"1"' },
      }),
      412,
    );
    const read = await api.call('GET', '/host-systems/systmone', { token: admin });
    expect(read.body.organisations).toEqual(['B82002', 'C83003']);
    expectProblem(await api.call('GET', '/host-systems/nobody', { token: admin }), 404);
  });

  it.each([
    ['a JWKS URI over http', { ...entry, jwksUri: 'http://keys.tpp.test/jwks.json' }],
    ['both keys and a URI', { ...entry, jwks: { keys: [{ kty: 'EC', kid: 'k' }] } }],
    [
      'a private key',
      {
        name: 'x',
        jwks: { keys: [{ kty: 'EC', kid: 'k', d: 'secret' }] },
        organisations: ['B82002'],
        roles: {},
      },
    ],
    ['a role that is not ours', { ...entry, roles: { R8000: 'surgeon' } }],
    ['admin by launch', { ...entry, roles: { R8000: 'admin' } }],
    ['no organisations', { ...entry, organisations: [] }],
  ])('refuses %s: 400', async (_, body) => {
    const res = await api.call('PUT', '/host-systems/bad-host', {
      token: api.token({ role: 'admin' }),
      json: body,
    });
    expectProblem(res, 400);
  });
});

describe('a national identity (CIS2-style)', () => {
  const nationalToken = (claims: Record<string, unknown>) =>
    new SignJWT({ sub: '555000111222', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: national.kid })
      .setIssuer(CIS2)
      .setAudience('urgent-care-plans')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(national.privateKey);

  it('maps the national role code and the organisation claim onto our role and ODS code', async () => {
    const token = await nationalToken({ selected_role_code: 'S8000:G8000:R8000', org_code: PRACTICE });
    const res = await api.call('GET', `/patients/${nhs}/plan`, { token });
    expect(res.status, res.text).toBe(200);
    const entry = (await accessLog()).find((e) => e.actor.id === '555000111222');
    expect(entry?.actor).toEqual({ id: '555000111222', role: 'gp', organisation: PRACTICE });
    const nurse = await nationalToken({ selected_role_code: 'R8001', org_code: 'B82002' });
    expectProblem(await api.call('GET', '/worklist/ratifications', { token: nurse }), 403);
  });

  it('refuses a role code its issuer does not map: 403 naming the code', async () => {
    const res = await api.call('GET', `/patients/${nhs}/plan`, {
      token: await nationalToken({ selected_role_code: 'S8000:G8000:R9999', org_code: PRACTICE }),
    });
    expectProblem(res, 403);
    expect(res.body.detail).toMatch(/national role code S8000:G8000:R9999 is not mapped/);
    expectProblem(
      await api.call('GET', `/patients/${nhs}/plan`, { token: await nationalToken({ org_code: PRACTICE }) }),
      403,
    );
  });

  it('needs the organisation claim: 401 naming it', async () => {
    const res = await api.call('GET', `/patients/${nhs}/plan`, {
      token: await nationalToken({ selected_role_code: 'R8000', ods: PRACTICE }),
    });
    expectProblem(res, 401);
    expect(res.body.detail).toMatch(/org_code/);
  });
});

describe('the service’s token, forged', () => {
  it('is refused when not signed by the service’s key, whatever it claims', async () => {
    const issued: string = (await exchange(await sign(assertionClaims()))).body.access_token;
    const forged = await new SignJWT({ sub: 'x', role: 'gp', ods: PRACTICE, patient: otherNhs, via: HOST })
      .setProtectedHeader({
        alg: 'ES256',
        kid: decodeProtectedHeader(issued).kid as string,
      })
      .setIssuer('urgent-care-plans')
      .setAudience('urgent-care-plans')
      .setExpirationTime('10m')
      .sign(host.privateKey);
    expectProblem(await api.call('GET', `/patients/${otherNhs}/plan`, { token: forged }), 401);
  });
});
