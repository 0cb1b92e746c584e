import { type Fetcher, SimpleFetcher } from 'aws-jwt-verify/https';
import { type Jwks, SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { JwtVerifier } from 'aws-jwt-verify/jwt-verifier';
import type { HostSystemEntry } from '../../domain/host-system.ts';
import { inlineKeysOffline, type JwtFailure, jwtFailure } from './jwt-verification.ts';

/**
 * A host system's assertion (the RFC 8693 `subject_token`), checked with aws-jwt-verify against
 * that host's registered keys: inline, or fetched from its https JWKS URI (and cached). RS256 and
 * ES256 only, so `alg: none` and HMAC never pass; its `iss` must be the host, its `aud` this service.
 */

/** The assertion is not acceptable: `reason` is safe to answer and log (it names no one). */
export class AssertionRejected extends Error {
  override readonly name = 'AssertionRejected';
}

/**
 * The `iss` the assertion claims, read before any check (whatever its header says, `alg: none`
 * included): which host's keys to check it with.
 */
export const claimedIssuer = (token: string): string | undefined => {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'));
    return typeof payload?.iss === 'string' ? payload.iss : undefined;
  } catch {
    return undefined;
  }
};

/** What is wrong with the assertion, in words safe to answer and log. */
const reasons: Record<JwtFailure, string> = {
  keysUnavailable: "the host system's keys could not be fetched from its JWKS URI",
  expired: 'the assertion has expired',
  notYetValid: 'the assertion is not valid yet',
  wrongAudience: 'the assertion is not for this service (aud)',
  wrongIssuer: 'the assertion was not issued by this host system',
  unknownIssuer: 'the assertion is not a valid JWT',
  wrongAlgorithm: 'the assertion must be signed with RS256 or ES256',
  badSignature: 'the assertion signature is not valid',
  unknownKey: 'the assertion is not signed by a key of this host system',
  malformed: 'the assertion is not a valid JWT',
  invalid: 'the assertion is not a valid JWT',
};

const reasonOf = (error: unknown): string => {
  const failure = jwtFailure(error);
  if (!failure) throw error;
  return reasons[failure];
};

/** Verifiers kept per host revision: a warm function launches from a handful of host systems. */
const maxHosts = 100;

export function createHostAssertionVerifier(audience: string, fetcher: Fetcher = new SimpleFetcher()) {
  const inline = new Set<string>();
  const jwksCache = new SimpleJwksCache({ fetcher: inlineKeysOffline(inline, fetcher) });
  const create = (issuer: string, jwksUri: string) =>
    JwtVerifier.create({ issuer, audience, jwksUri }, { jwksCache });
  const verifiers = new Map<string, ReturnType<typeof create>>();

  const verifierFor = (host: HostSystemEntry) => {
    const key = `${host.id}#${host.revision}`;
    let verifier = verifiers.get(key);
    if (!verifier) {
      const { jwks, jwksUri } = host.hostSystem;
      // Each revision its own URI for inline keys, so replaced keys are never found in a cache.
      const uri = jwksUri ?? `https://host-system.invalid/${host.id}/${host.revision}/jwks.json`;
      if (!jwksUri) inline.add(uri);
      verifier = create(host.id, uri);
      if (jwks) {
        try {
          verifier.cacheJwks(jwks as Jwks);
        } catch {
          throw new AssertionRejected("the host system's registered keys are not usable");
        }
      }
      if (verifiers.size >= maxHosts) verifiers.delete(verifiers.keys().next().value as string);
      verifiers.set(key, verifier);
    }
    return verifier;
  };

  return {
    /** The assertion's payload once its signature, issuer, audience and expiry are good. */
    async verify(token: string, host: HostSystemEntry): Promise<JwtPayload> {
      try {
        return await verifierFor(host).verify(token);
      } catch (error) {
        if (error instanceof AssertionRejected) throw error;
        throw new AssertionRejected(reasonOf(error));
      }
    },
  };
}
