import { createLocalJWKSet, errors, type JSONWebKeySet, jwtVerify } from 'jose';
import { signedSummaryType } from '../functions/http/summary.ts';

/**
 * Checks a signed crisis summary offline against the service's public keys (a saved
 * `/.well-known/jwks.json`): the signature, the key, the type and the validity window.
 */
export type Verdict =
  | { valid: true; kid: string; expiresAt: string; summary: Record<string, unknown> }
  | {
      valid: false;
      reason: 'malformed' | 'unknown key' | 'tampered' | 'expired' | 'not yet valid';
      detail: string;
    };

export async function verifySummary(
  jws: string,
  jwks: JSONWebKeySet,
  at: Date = new Date(),
): Promise<Verdict> {
  try {
    const { payload, protectedHeader } = await jwtVerify(jws.trim(), createLocalJWKSet(jwks), {
      algorithms: ['ES256'],
      typ: signedSummaryType,
      currentDate: at,
      requiredClaims: ['iat', 'nbf', 'exp', 'jti', 'planVersion'],
    });
    const { iat: _iat, nbf: _nbf, exp, jti: _jti, ...summary } = payload;
    return {
      valid: true,
      kid: protectedHeader.kid ?? '',
      expiresAt: new Date((exp ?? 0) * 1000).toISOString(),
      summary,
    };
  } catch (error) {
    if (error instanceof errors.JWTExpired)
      return { valid: false, reason: 'expired', detail: `it expired at ${claimTime(error.payload.exp)}` };
    if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf')
      return {
        valid: false,
        reason: 'not yet valid',
        detail: `it is valid from ${claimTime(error.payload.nbf)}`,
      };
    if (error instanceof errors.JWKSNoMatchingKey)
      return {
        valid: false,
        reason: 'unknown key',
        detail: 'it was signed by a key that is not in the JWKS',
      };
    if (error instanceof errors.JWSSignatureVerificationFailed)
      return { valid: false, reason: 'tampered', detail: 'the signature does not match its content' };
    if (error instanceof errors.JOSEError)
      return { valid: false, reason: 'malformed', detail: `not a signed crisis summary (${error.code})` };
    throw error;
  }
}

const claimTime = (seconds: unknown) =>
  typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : 'an unknown time';
