import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createTokenVerifier,
  InsufficientProofing,
  type TokenVerifier,
  trustedIssuersFromEnv,
  Unauthenticated,
} from '../../functions/platform/identity.ts';
import { type DevIssuer, ensureDevIssuer, issueDevToken } from '../../local/dev-issuer.ts';

let dataDir: string;
let issuer: DevIssuer;
let verifier: TokenVerifier;
const now = () => Math.floor(Date.now() / 1000);
const staffClaims = { sub: 'staff-1', role: 'gp', ods: 'A81001' };
const patientClaims = { sub: 'pat-1', nhs_number: '9434765919', identity_proofing_level: 'P9' };

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'ucp-identity-'));
  issuer = ensureDevIssuer(dataDir);
  verifier = createTokenVerifier(issuer.trustedIssuers);
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const rejection = async (header: string | undefined) => {
  const err = await verifier.verify(header).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(Unauthenticated);
  return (err as Unauthenticated).reason;
};

describe('createTokenVerifier', () => {
  it('maps a staff token to a StaffActor', async () => {
    const token = issueDevToken(dataDir, { role: 'gp', org: 'A81001', sub: 'u-1', name: 'Dr Ann Smith' });
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toEqual({
      kind: 'staff',
      id: 'u-1',
      role: 'gp',
      organisation: 'A81001',
      name: 'Dr Ann Smith',
    });
  });

  it('maps a patient token to a CitizenActor, NHS number without spaces', async () => {
    const token = issueDevToken(dataDir, { role: 'patient', nhs: '943 476 5919', sub: 'p-1' });
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toEqual({
      kind: 'citizen',
      id: 'p-1',
      role: 'patient',
      nhsNumber: '9434765919',
      proofingLevel: 'P9',
    });
  });

  it('maps a carer token with role carer', async () => {
    const token = issueDevToken(dataDir, { role: 'carer', nhs: '9434765919', sub: 'c-1' });
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({
      kind: 'citizen',
      role: 'carer',
    });
  });

  it('defaults a citizen without a role claim to patient', async () => {
    const actor = await verifier.verify(`Bearer ${issuer.sign(patientClaims, 'citizen')}`);
    expect(actor).toMatchObject({ kind: 'citizen', role: 'patient' });
  });

  it('rejects a missing or malformed Authorization header', async () => {
    expect(await rejection(undefined)).toBe('missing bearer token');
    expect(await rejection('  ')).toBe('missing bearer token');
    const token = issuer.sign(staffClaims, 'staff');
    expect(await rejection(`Basic ${token}`)).toMatch(/Bearer <token>/);
    expect(await rejection('Bearer')).toMatch(/Bearer <token>/);
    expect(await rejection(`Bearer ${token} extra`)).toMatch(/Bearer <token>/);
    expect(await rejection('Bearer not-a-jwt')).toBe('malformed token');
    expect(await rejection('Bearer a.b.c')).toBe('malformed token');
  });

  it('maps an admin token without an organisation to a service administrator', async () => {
    const token = issueDevToken(dataDir, { role: 'admin', sub: 'ops-1', name: 'Ops Lead' });
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toEqual({
      kind: 'serviceAdmin',
      id: 'ops-1',
      role: 'admin',
      name: 'Ops Lead',
    });
    const withOrg = issueDevToken(dataDir, { role: 'admin', org: 'A81001', sub: 'admin-1' });
    await expect(verifier.verify(`Bearer ${withOrg}`)).resolves.toEqual({
      kind: 'staff',
      id: 'admin-1',
      role: 'admin',
      organisation: 'A81001',
    });
  });

  it('rejects any other staff token without an organisation, and an admin with an invalid one', async () => {
    for (const role of ['gp', 'privacy_officer', 'paramedic']) {
      const token = issuer.sign({ ...staffClaims, role, ods: undefined }, 'staff');
      expect(await rejection(`Bearer ${token}`)).toBe('invalid token claims: ods');
    }
    const badOds = issuer.sign({ ...staffClaims, role: 'admin', ods: 'not an ods' }, 'staff');
    expect(await rejection(`Bearer ${badOds}`)).toBe('invalid token claims: ods');
    // A citizen token naming the admin role is still no staff token.
    expect(await rejection(`Bearer ${issuer.sign({ ...patientClaims, role: 'admin' }, 'citizen')}`)).toBe(
      'invalid token claims: role',
    );
  });

  it('accepts the scheme in any case', async () => {
    await expect(verifier.verify(`bearer ${issuer.sign(staffClaims, 'staff')}`)).resolves.toMatchObject({
      kind: 'staff',
    });
  });

  it('rejects an expired token', async () => {
    const token = issuer.sign({ ...staffClaims, iat: now() - 7200, exp: now() - 60 }, 'staff');
    expect(await rejection(`Bearer ${token}`)).toBe('token expired');
  });

  it('refuses a token it has verified before once that token expires', async () => {
    const token = issuer.sign({ ...staffClaims, sub: 'staff-expiring', exp: now() + 60 }, 'staff');
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ id: 'staff-expiring' });
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ id: 'staff-expiring' });
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 61_000 });
    try {
      expect(await rejection(`Bearer ${token}`)).toBe('token expired');
      expect(await rejection(`Bearer ${token}`)).toBe('token expired');
    } finally {
      vi.useRealTimers();
    }
  });

  it('checks the signature of a token altered after the original was verified', async () => {
    const token = issuer.sign({ ...staffClaims, sub: 'staff-original' }, 'staff');
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ id: 'staff-original' });
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString('utf8'));
    const altered = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
    expect(await rejection(`Bearer ${header}.${altered}.${signature}`)).toBe('invalid token signature');
  });

  it('rejects a token without exp', async () => {
    const token = issuer.sign({ ...staffClaims, exp: undefined }, 'staff');
    expect(await rejection(`Bearer ${token}`)).toBe('invalid token claims: exp');
  });

  it('rejects a token for another audience', async () => {
    const token = issuer.sign({ ...staffClaims, aud: 'someone-else' }, 'staff');
    expect(await rejection(`Bearer ${token}`)).toBe('token not issued for this service');
  });

  it('rejects an unknown issuer, and a token with no issuer', async () => {
    expect(await rejection(`Bearer ${issuer.sign({ ...staffClaims, iss: 'urn:evil' }, 'staff')}`)).toBe(
      'token issuer not trusted',
    );
    expect(await rejection(`Bearer ${issuer.sign({ ...staffClaims, iss: undefined }, 'staff')}`)).toBe(
      'token issuer not trusted',
    );
  });

  it('rejects a tampered payload and never echoes the token', async () => {
    const [header, , signature] = issuer.sign(staffClaims, 'staff').split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...staffClaims, role: 'admin', iss: 'urn:ucp:dev-issuer:staff' }),
    );
    const token = `${header}.${forged.toString('base64url')}.${signature}`;
    const err = await verifier.verify(`Bearer ${token}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Unauthenticated);
    expect((err as Error).message).toBe('invalid token signature');
    expect(JSON.stringify(err) + String((err as Error).stack)).not.toContain(signature);
  });

  it('rejects a key trusted for another issuer, and a stranger key, without fetching anything', async () => {
    // Signed with the citizen key but claiming the staff issuer: kid is not in the staff JWKS.
    const token = issuer.sign({ ...staffClaims, iss: 'urn:ucp:dev-issuer:staff' }, 'citizen');
    expect(await rejection(`Bearer ${token}`)).toBe('unknown signing key');

    const otherDir = mkdtempSync(join(tmpdir(), 'ucp-identity-other-'));
    try {
      const stranger = ensureDevIssuer(otherDir).sign(staffClaims, 'staff');
      expect(await rejection(`Bearer ${stranger}`)).toBe('unknown signing key');
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it('rejects a staff token carrying a citizen role, and the reverse', async () => {
    expect(await rejection(`Bearer ${issuer.sign({ ...staffClaims, role: 'patient' }, 'staff')}`)).toBe(
      'invalid token claims: role',
    );
    expect(await rejection(`Bearer ${issuer.sign({ ...patientClaims, role: 'gp' }, 'citizen')}`)).toBe(
      'invalid token claims: role',
    );
  });

  it('rejects invalid claims without echoing their values', async () => {
    const token = issuer.sign({ ...patientClaims, nhs_number: '94347659', name: 42 }, 'citizen');
    const reason = await rejection(`Bearer ${token}`);
    expect(reason).toBe('invalid token claims: name, nhs_number');
    expect(reason).not.toContain('94347659');
  });

  it('refuses a P5 citizen with InsufficientProofing', async () => {
    const token = issuer.sign({ ...patientClaims, identity_proofing_level: 'P5' }, 'citizen');
    const err = await verifier.verify(`Bearer ${token}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientProofing);
    expect(err).toMatchObject({ level: 'P5' });
  });

  it('refuses two issuers sharing a jwksUri', () => {
    const [staff, citizen] = issuer.trustedIssuers;
    if (!staff || !citizen) throw new Error('expected two dev issuers');
    expect(() => createTokenVerifier([staff, { ...citizen, jwksUri: staff.jwksUri }])).toThrow(/jwksUri/);
  });
});

describe('trustedIssuersFromEnv', () => {
  it('parses the JSON the dev issuer produces', () => {
    const env = { TRUSTED_ISSUERS: JSON.stringify(issuer.trustedIssuers) };
    expect(trustedIssuersFromEnv(env)).toEqual(issuer.trustedIssuers);
  });

  it('throws clearly when missing or invalid', () => {
    expect(() => trustedIssuersFromEnv({})).toThrow(/TRUSTED_ISSUERS is not set/);
    expect(() => trustedIssuersFromEnv({ TRUSTED_ISSUERS: '[' })).toThrow(/not valid JSON/);
    expect(() => trustedIssuersFromEnv({ TRUSTED_ISSUERS: '[]' })).toThrow(/non-empty JSON array/);
    expect(() =>
      trustedIssuersFromEnv({ TRUSTED_ISSUERS: JSON.stringify([{ kind: 'robot', issuer: 'x' }]) }),
    ).toThrow('TRUSTED_ISSUERS[0] is invalid: kind, audience, jwksUri');
  });
});

describe('dev issuer', () => {
  it('keeps its keys: private ones 0600, same kid on the next start', () => {
    expect(statSync(join(dataDir, 'issuer', 'staff.key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'issuer', 'citizen.key.pem')).mode & 0o777).toBe(0o600);
    expect(ensureDevIssuer(dataDir).trustedIssuers).toEqual(issuer.trustedIssuers);
  });

  it('explains bad input', () => {
    expect(() => issueDevToken(dataDir, { role: 'wizard' })).toThrow(/unknown role "wizard"/);
    expect(() => issueDevToken(dataDir, { role: 'gp' })).toThrow(/needs --org/);
    expect(() => issueDevToken(dataDir, { role: 'privacy_officer' })).toThrow(/needs --org/);
    expect(() => issueDevToken(dataDir, { role: 'gp', org: 'not an ods' })).toThrow(
      /--org must be an ODS code/,
    );
    expect(() => issueDevToken(dataDir, { role: 'patient' })).toThrow(/needs --nhs/);
    expect(() => issueDevToken(dataDir, { role: 'carer', nhs: '12345' })).toThrow(/10-digit/);
    expect(() => issueDevToken(dataDir, { role: 'patient', nhs: '9434765919', org: 'A81001' })).toThrow(
      /--org is for staff/,
    );
  });
});
