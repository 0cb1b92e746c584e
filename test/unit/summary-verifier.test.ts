import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { verifySummary } from '../../local/summary-verifier.ts';

/** The offline verifier's verdicts, each from a JWS made for it with an independent library. */
const keys = await generateKeyPair('ES256', { extractable: true });
const publicJwk: JWK = { ...(await exportJWK(keys.publicKey)), alg: 'ES256', use: 'sig' };
const kid = await calculateJwkThumbprint(publicJwk);
const jwks = { keys: [{ ...publicJwk, kid }] };
const now = Math.floor(Date.parse('2026-11-20T10:00:00Z') / 1000);
const claims = {
  nhsNumber: '9434765919',
  version: 2,
  planVersion: 2,
  cpr: { decision: 'dnacpr' },
  jti: 'j-1',
};
const sign = (overrides: Record<string, unknown> = {}, typ = 'crisis-summary+jwt') =>
  new SignJWT({ ...claims, iat: now, nbf: now, exp: now + 86_400, ...overrides })
    .setProtectedHeader({ alg: 'ES256', typ, kid })
    .sign(keys.privateKey);
const at = (iso: string) => new Date(iso);

describe('verifySummary', () => {
  it('valid within its window: the summary, without the JWT bookkeeping', async () => {
    const verdict = await verifySummary(await sign(), jwks, at('2026-11-20T12:00:00Z'));
    expect(verdict).toEqual({
      valid: true,
      kid,
      expiresAt: '2026-11-21T10:00:00.000Z',
      summary: { nhsNumber: '9434765919', version: 2, planVersion: 2, cpr: { decision: 'dnacpr' } },
    });
  });

  it.each([
    ['expired', '2026-11-21T10:00:01Z', {}],
    ['not yet valid', '2026-11-20T09:00:00Z', {}],
  ])('%s outside its window', async (reason, when, overrides) => {
    expect(await verifySummary(await sign(overrides), jwks, at(when))).toMatchObject({
      valid: false,
      reason,
    });
  });

  it('malformed: not a JWS, another type, or a claim missing', async () => {
    const when = at('2026-11-20T12:00:00Z');
    expect(await verifySummary('not.a.jws', jwks, when)).toMatchObject({ reason: 'malformed' });
    expect(await verifySummary(await sign({}, 'JWT'), jwks, when)).toMatchObject({ reason: 'malformed' });
    expect(await verifySummary(await sign({ planVersion: undefined }), jwks, when)).toMatchObject({
      reason: 'malformed',
    });
  });

  it('tampered: the same key, other content', async () => {
    const [header, , signature] = (await sign()).split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, cpr: { decision: 'for_cpr' } })).toString(
      'base64url',
    );
    expect(
      await verifySummary(`${header}.${forged}.${signature}`, jwks, at('2026-11-20T12:00:00Z')),
    ).toMatchObject({
      reason: 'tampered',
    });
  });

  it('unknown key: signed by a key the JWKS does not hold', async () => {
    expect(await verifySummary(await sign(), { keys: [] }, at('2026-11-20T12:00:00Z'))).toMatchObject({
      reason: 'unknown key',
    });
  });
});
