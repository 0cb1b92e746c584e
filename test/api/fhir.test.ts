import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokenRules, errorsOf, validateR4, warningsOf } from '../support/fhir.ts';
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
 * The plan for FHIR systems and record locators, and the signed summary, over real HTTP: the
 * document validates, the pointer leads to it, and the signature holds against the served keys.
 */
let api: Api;
const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'ucp-fhir-'));
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});

const GP_PRACTICE = 'A81001';
const NRL_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';
const keySafe = 'key safe under the pot, code 9911';
const sections = {
  preferences: { preferredPlaceOfDeath: { code: 'hospice', text: 'St Christopher’s' }, homeAccess: keySafe },
  cpr: { decision: 'dnacpr', decisionDate: '2026-11-20', decidedBy: { name: 'Dr A Patel', role: 'gp' } },
  treatment: { ceiling: 'selective', carePriority: 3 },
  consent: { status: 'given', date: '2026-11-20' },
};

/** Enrolled by the GP practice, written and published by its GP: answers the ETag. */
const publishedPlan = async (nhs: string) => {
  const gp = api.token({ role: 'gp', org: GP_PRACTICE, sub: 'dr.patel' });
  expect((await api.call('POST', '/patients', { token: gp, json: enrolment(nhs) })).status).toBe(201);
  const created = await api.call('POST', `/patients/${nhs}/plan`, { token: gp, json: { sections } });
  expect(created.status).toBe(201);
  const ratified = await api.call('POST', `/patients/${nhs}/plan/ratify`, {
    token: gp,
    headers: { 'if-match': etagOf(created) },
  });
  expect(ratified.status).toBe(200);
  return etagOf(ratified);
};

const expectValidDocument = (body: unknown) => {
  const issues = validateR4(body as never);
  expect(errorsOf(issues)).toEqual([]);
  expect(warningsOf(issues)).toEqual([]);
  expect(brokenRules(body)).toEqual([]);
};

describe('the seed’s plans as FHIR documents', () => {
  it('every published seed plan exports and validates against base R4 with no error', async () => {
    const { stdout } = await run(process.execPath, ['local/seed.ts'], {
      env: { ...process.env, BASE_URL: api.url, DATA_DIR: api.dataDir },
    });
    const seeded = stdout
      .trim()
      .split('\n')
      .slice(0, -1)
      .map((line) => line.split(/\s+/) as [string, string]);
    // Every other story has a published version (the closed ones too: their patient still reads them).
    const unpublished = ['submitted', 'hospiceDraft'];
    let exported = 0;
    for (const [nhs, story] of seeded) {
      const response = await api.call('GET', `/patients/${nhs}/plan/fhir`, {
        token: api.token({ role: 'patient', nhs }),
      });
      if (unpublished.includes(story)) {
        expectProblem(response, 404);
        continue;
      }
      expect(response.status, story).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
      expectValidDocument(response.body);
      exported += 1;
    }
    expect(exported).toBe(seeded.length - unpublished.length);
    expect(exported).toBeGreaterThanOrEqual(5);
  }, 120_000);
});

describe('GET /patients/{nhs}/plan/fhir', () => {
  const nhs = testNhsNumber(300);
  // A carer signs in with their own NHS number and reads by the patient's grant.
  const carerNhs = testNhsNumber(303);
  beforeAll(async () => {
    await publishedPlan(nhs);
    const granted = await api.call('POST', `/patients/${nhs}/carers`, {
      token: api.token({ role: 'patient', nhs }),
      json: carerGrant(carerNhs, { access: 'read' }),
    });
    expect(granted.status).toBe(201);
  });

  it.each([
    ['the patient', () => api.token({ role: 'patient', nhs }), {}],
    ['a carer by the patient’s grant', () => api.token({ role: 'carer', nhs: carerNhs }), {}],
    ['the GP (care team)', () => api.token({ role: 'gp', org: GP_PRACTICE }), {}],
    ['a paramedic', () => api.token({ role: 'paramedic', org: 'RRU' }), {}],
    ['an NHS 111 call handler', () => api.token({ role: 'call_handler', org: 'NHS111' }), {}],
    ['an A&E clinician', () => api.token({ role: 'ed_clinician', org: 'RJ1' }), {}],
    [
      'a nurse by break-glass',
      () => api.token({ role: 'nurse', org: 'RYX' }),
      { 'break-glass': 'unconscious in clinic, no other record' },
    ],
  ])('%s may read it: a valid document, and the read is in the access log', async (_, token, headers) => {
    const response = await api.call('GET', `/patients/${nhs}/plan/fhir?purpose=handover`, {
      token: token(),
      headers,
    });
    expect(response.status).toBe(200);
    expectValidDocument(response.body);
    const log = await api.call('GET', `/patients/${nhs}/access-log`, {
      token: api.token({ role: 'patient', nhs }),
    });
    expect(log.body.items[0]).toMatchObject({ action: 'read_plan_fhir', purpose: 'handover' });
  });

  it.each([
    ['a nurse outside the care team', () => api.token({ role: 'nurse', org: 'RYX' })],
    ['a care home outside it', () => api.token({ role: 'care_home', org: 'VM999' })],
    ['a privacy officer', () => api.token({ role: 'privacy_officer', org: GP_PRACTICE })],
    ['an admin', () => api.token({ role: 'admin', org: GP_PRACTICE })],
    ['another patient', () => api.token({ role: 'patient', nhs: testNhsNumber(301) })],
    ['a carer with no grant from this patient', () => api.token({ role: 'carer', nhs: testNhsNumber(304) })],
  ])('%s may not: 403, and nothing is logged', async (_, token) => {
    const before = await api.call('GET', `/patients/${nhs}/access-log`, {
      token: api.token({ role: 'patient', nhs }),
    });
    expectProblem(await api.call('GET', `/patients/${nhs}/plan/fhir`, { token: token() }), 403);
    const after = await api.call('GET', `/patients/${nhs}/access-log`, {
      token: api.token({ role: 'patient', nhs }),
    });
    expect(after.body.items).toHaveLength(before.body.items.length);
  });

  it('shows the key safe to the patient only, and codes the CPR decision and the preferred place', async () => {
    const asPatient = await api.call('GET', `/patients/${nhs}/plan/fhir`, {
      token: api.token({ role: 'patient', nhs }),
    });
    const asCrew = await api.call('GET', `/patients/${nhs}/plan/fhir`, {
      token: api.token({ role: 'paramedic', org: 'RRU' }),
    });
    expect(asPatient.text).toContain(keySafe);
    expect(asCrew.text).not.toContain(keySafe);
    const resources = asCrew.body.entry.map((e: { resource: unknown }) => e.resource);
    expect(resources.find((r: { resourceType: string }) => r.resourceType === 'Flag')).toMatchObject({
      status: 'active',
      code: { coding: [{ code: '450476008' }] },
      period: { start: '2026-11-20' },
    });
    expect(JSON.stringify(resources)).toContain('"code":"30"');
  });

  it('answers a version by number, 404 for one that does not exist, 400 for one that is not a number', async () => {
    const token = api.token({ role: 'paramedic', org: 'RRU' });
    const one = await api.call('GET', `/patients/${nhs}/plan/fhir?version=1`, { token });
    expect(one.status).toBe(200);
    expect(one.body.entry[0].resource.title).toBe('Urgent care plan, version 1');
    expectProblem(await api.call('GET', `/patients/${nhs}/plan/fhir?version=9`, { token }), 404);
    expectProblem(await api.call('GET', `/patients/${nhs}/plan/fhir?version=x`, { token }), 400);
    expectProblem(await api.call('GET', `/patients/${nhs}/plan/fhir?version=0`, { token }), 400);
  });

  it('404 while nothing is published, for the patient too', async () => {
    const draftOnly = testNhsNumber(302);
    const patient = api.token({ role: 'patient', nhs: draftOnly });
    expect((await api.call('POST', '/patients', { token: patient, json: enrolment(draftOnly) })).status).toBe(
      201,
    );
    expect((await api.call('POST', `/patients/${draftOnly}/plan`, { token: patient, json: {} })).status).toBe(
      201,
    );
    expectProblem(await api.call('GET', `/patients/${draftOnly}/plan/fhir`, { token: patient }), 404);
    expectProblem(
      await api.call('GET', `/patients/${draftOnly}/plan/fhir`, {
        token: api.token({ role: 'paramedic', org: 'RRU' }),
      }),
      404,
    );
  });
});

describe('GET /DocumentReference: the record-locator pointers', () => {
  const nhs = testNhsNumber(310);
  const search = (token: string, subject = `${NRL_SYSTEM}|${nhs}`) =>
    api.call('GET', `/DocumentReference?subject:identifier=${encodeURIComponent(subject)}`, { token });
  const crew = () => api.token({ role: 'paramedic', org: 'RRU' });

  it('leads urgent care to the FHIR document of the version in force; retired once withdrawn', async () => {
    const etag = await publishedPlan(nhs);
    const found = await search(crew());
    expect(found.status).toBe(200);
    expect(found.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    expect(validateR4(found.body).filter((i) => i.severity === 'error')).toEqual([]);
    expect(found.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 1 });
    const pointer = found.body.entry[0].resource;
    expect(pointer).toMatchObject({
      resourceType: 'DocumentReference',
      id: `${nhs}-v1`,
      status: 'current',
      type: { coding: [{ system: 'http://snomed.info/sct', code: '736373009' }] },
      category: [{ coding: [{ system: 'http://snomed.info/sct', code: '734163000' }] }],
      subject: { identifier: { system: NRL_SYSTEM, value: nhs } },
      custodian: { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'LOCAL' } },
    });
    // The pointer's URL is the document, and its master identifier the document's identifier.
    const url = new URL(pointer.content[0].attachment.url);
    const document = await api.call('GET', `${url.pathname}${url.search}`, { token: crew() });
    expect(document.status).toBe(200);
    expect(document.body.identifier).toEqual(pointer.masterIdentifier);

    const log = await api.call('GET', `/patients/${nhs}/access-log`, {
      token: api.token({ role: 'patient', nhs }),
    });
    expect(log.body.items.map((i: { action: string }) => i.action)).toContain('search_pointers');

    const withdrawn = await api.call('POST', `/patients/${nhs}/plan/withdraw`, {
      token: api.token({ role: 'patient', nhs }),
      headers: { 'if-match': etag },
      json: { reason: 'no longer' },
    });
    expect(withdrawn.status).toBe(200);
    expect((await search(crew())).body).toMatchObject({ total: 0, entry: [] });
  });

  it('raises CarePlan.Published and CarePlan.Unpublished, archived with every other event', async () => {
    await expect
      .poll(
        async () =>
          (await api.archived())
            .map(({ event }) => event)
            .filter((e) => e.detail.nhsNumber === nhs && e['detail-type'].endsWith('ublished'))
            .map((e) => [e['detail-type'], e.detail.planVersion]),
        { timeout: 20_000, interval: 250 },
      )
      .toEqual(
        expect.arrayContaining([
          ['CarePlan.Published', 1],
          ['CarePlan.Unpublished', 1],
        ]),
      );
  });

  it('an empty searchset for a patient with no plan, for those who may read one', async () => {
    const unknown = testNhsNumber(311);
    expect((await search(crew(), `${NRL_SYSTEM}|${unknown}`)).body).toMatchObject({ total: 0 });
    expectProblem(await search(api.token({ role: 'nurse', org: 'RYX' }), `${NRL_SYSTEM}|${unknown}`), 403);
  });

  it.each([
    ['missing', '/DocumentReference'],
    [
      'another identifier system',
      `/DocumentReference?subject:identifier=${encodeURIComponent(`https://example.org|${nhs}`)}`,
    ],
    [
      'an invalid NHS number',
      `/DocumentReference?subject:identifier=${encodeURIComponent(`${NRL_SYSTEM}|1234567890`)}`,
    ],
  ])('400 for a subject %s', async (_, path) => {
    expectProblem(await api.call('GET', path, { token: crew() }), 400);
  });
});

describe('the signed crisis summary', () => {
  const nhs = testNhsNumber(320);
  beforeAll(async () => {
    await publishedPlan(nhs);
  });
  const signed = () =>
    api.call('GET', `/patients/${nhs}/plan/summary?purpose=999%20call`, {
      token: api.token({ role: 'paramedic', org: 'RRU' }),
      headers: { accept: 'application/jose' },
    });
  const verifyCli = async (file: string, ...args: string[]) =>
    run(process.execPath, ['local/verify-summary.ts', file, ...args], { env: { ...process.env } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  it('is a compact ES256 JWS that verifies against the served JWKS, valid for 24 hours, audited', async () => {
    const response = await signed();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/jose/);
    const jwks = (await api.call('GET', '/.well-known/jwks.json')).body;
    const { payload, protectedHeader } = await jwtVerify(response.text, createLocalJWKSet(jwks), {
      algorithms: ['ES256'],
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'crisis-summary+jwt' });
    expect(protectedHeader.kid).toBe(await calculateJwkThumbprint(jwks.keys[0]));
    expect(payload).toMatchObject({
      nhsNumber: nhs,
      version: 1,
      planVersion: 1,
      cpr: { decision: 'dnacpr' },
      homeAccess: keySafe,
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(24 * 3600);
    expect(payload.nbf).toBe(payload.iat);
    expect((await signed()).text).not.toBe(response.text);
    const again = await jwtVerify((await signed()).text, createLocalJWKSet(jwks));
    expect(again.payload.jti).not.toBe(payload.jti);
    const log = await api.call('GET', `/patients/${nhs}/access-log`, {
      token: api.token({ role: 'patient', nhs }),
    });
    expect(log.body.items[0]).toMatchObject({ action: 'read_summary', purpose: '999 call' });
    // Without the header, the same summary as JSON.
    const plain = await api.call('GET', `/patients/${nhs}/plan/summary`, {
      token: api.token({ role: 'paramedic', org: 'RRU' }),
    });
    expect(plain.headers.get('content-type')).toMatch(/^application\/json/);
    expect(plain.body.version).toBe(1);
  });

  it('npm run verify-summary: prints a valid one; refuses it tampered, expired, or signed by a foreign key', async () => {
    const jws = (await signed()).text;
    const jwksFile = join(scratch, 'jwks.json');
    writeFileSync(jwksFile, (await api.call('GET', '/.well-known/jwks.json')).text);
    const file = (name: string, content: string) => {
      const path = join(scratch, name);
      writeFileSync(path, content);
      return path;
    };

    const valid = await verifyCli(file('valid.jws', jws), '--jwks', jwksFile);
    expect(valid.code).toBe(0);
    expect(JSON.parse(valid.stdout)).toMatchObject({
      nhsNumber: nhs,
      planVersion: 1,
      cpr: { decision: 'dnacpr' },
    });
    expect(valid.stderr).toMatch(/^valid: signed by key /);

    // The CPR decision changed in transit: the signature no longer matches.
    const [header, payload, signature] = jws.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = { ...claims, cpr: { ...claims.cpr, decision: 'for_cpr' } };
    const tampered = `${header}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`;
    const refusedTampered = await verifyCli(file('tampered.jws', tampered), '--jwks', jwksFile);
    expect(refusedTampered.code).toBe(1);
    expect(refusedTampered.stderr).toMatch(/not valid \(tampered\)/);
    expect(refusedTampered.stdout).toBe('');

    const later = new Date(Date.now() + 25 * 3600 * 1000).toISOString();
    const refusedExpired = await verifyCli(file('valid.jws', jws), '--jwks', jwksFile, '--at', later);
    expect(refusedExpired.code).toBe(1);
    expect(refusedExpired.stderr).toMatch(/not valid \(expired\)/);

    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const foreignKid = await calculateJwkThumbprint(await exportJWK(publicKey));
    const foreign = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'crisis-summary+jwt', kid: foreignKid })
      .sign(privateKey);
    const refusedForeign = await verifyCli(file('foreign.jws', foreign), '--jwks', jwksFile);
    expect(refusedForeign.code).toBe(1);
    expect(refusedForeign.stderr).toMatch(/not valid \(unknown key\)/);

    // Without --jwks: the local server's own key (DATA_DIR), offline.
    const local = await run(process.execPath, ['local/verify-summary.ts', join(scratch, 'valid.jws')], {
      env: { ...process.env, DATA_DIR: api.dataDir },
    });
    expect(JSON.parse(local.stdout)).toMatchObject({ nhsNumber: nhs });
  }, 60_000);
});
