import { JwtVerifier } from 'aws-jwt-verify';
import {
  FetchError,
  JwtBaseError,
  JwtExpiredError,
  JwtInvalidAudienceError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  JwtWithoutValidKidError,
  KidNotFoundInJwksError,
  ParameterValidationError,
  WaitPeriodNotYetEndedJwkError,
} from 'aws-jwt-verify/error';
import { type Fetcher, SimpleFetcher } from 'aws-jwt-verify/https';
import { isJwks, type Jwks, SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
// A namespace import lets the bundler drop what is not used (the whole of `{ z }` is about 450 KB).
import * as z from 'zod';
import { type Actor, CitizenRole, OdsCode, ProofingLevel, StaffRole } from '../../domain/actor.ts';

export const TrustedIssuer = z.object({
  kind: z.enum(['staff', 'citizen']),
  issuer: z.string().min(1),
  audience: z.string().min(1),
  jwksUri: z.url(),
  /** Inline public keys: when present they are the only keys trusted, nothing is fetched. */
  jwks: z.custom<Jwks>((value) => isJwks(value as Parameters<typeof isJwks>[0]), 'must be a JWKS').optional(),
});
export type TrustedIssuer = z.infer<typeof TrustedIssuer>;

/** Reads the JSON array of trusted issuers from `TRUSTED_ISSUERS`. */
export function trustedIssuersFromEnv(
  env: Record<string, string | undefined> = process.env,
): TrustedIssuer[] {
  const raw = env.TRUSTED_ISSUERS;
  if (!raw) throw new Error('TRUSTED_ISSUERS is not set: expected a JSON array of trusted token issuers');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error('TRUSTED_ISSUERS is not valid JSON');
  }
  const parsed = z.array(TrustedIssuer).min(1).safeParse(json);
  if (!parsed.success) throw new Error(`TRUSTED_ISSUERS is invalid:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The request has no acceptable credentials: 401. `reason` is safe to return and log. */
export class Unauthenticated extends Error {
  override readonly name = 'Unauthenticated';
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.reason = reason;
  }
}

/** A real NHS login user below P9: 403, they may not see health records. */
export class InsufficientProofing extends Error {
  override readonly name = 'InsufficientProofing';
  readonly level: ProofingLevel;
  constructor(level: ProofingLevel) {
    super(`identity proofing level ${level} is too low: P9 is needed to see or write a plan`);
    this.level = level;
  }
}

// exp is optional to aws-jwt-verify; a token that never expires is not acceptable here.
const common = { sub: z.string().min(1), name: z.string().min(1).optional(), exp: z.number() };
const StaffClaims = z.object({ ...common, role: StaffRole, ods: OdsCode });
const CitizenClaims = z.object({
  ...common,
  role: CitizenRole.default('patient'),
  nhs_number: z.string().regex(/^\d{10}$/),
  identity_proofing_level: ProofingLevel,
});

export type TokenVerifier = { verify(authorizationHeader: string | undefined): Promise<Actor> };

export function createTokenVerifier(issuers: TrustedIssuer[]): TokenVerifier {
  // aws-jwt-verify caches JWKS by URI, so a shared URI would let one issuer's keys sign for another.
  const uris = new Set(issuers.map((i) => i.jwksUri));
  if (uris.size !== issuers.length) throw new Error('each trusted issuer needs its own jwksUri');

  // Issuers with inline keys must never reach the network: an unknown kid is simply unknown.
  const inline = new Set(issuers.filter((i) => i.jwks).map((i) => i.jwksUri));
  const https = new SimpleFetcher();
  const fetcher: Fetcher = {
    fetch: (uri, options, data) =>
      inline.has(uri)
        ? Promise.reject(new KidNotFoundInJwksError('signing key not in the inline JWKS'))
        : https.fetch(uri, options, data),
  };
  const verifier = JwtVerifier.create(
    issuers.map(({ issuer, audience, jwksUri }) => ({ issuer, audience, jwksUri })),
    { jwksCache: new SimpleJwksCache({ fetcher }) },
  );
  for (const { issuer, jwks } of issuers) if (jwks) verifier.cacheJwks(jwks, issuer);
  const kinds = new Map(issuers.map((i) => [i.issuer, i.kind]));

  return {
    async verify(authorizationHeader) {
      const token = bearerToken(authorizationHeader);
      let payload: JwtPayload;
      try {
        payload = await verifier.verify(token);
      } catch (err) {
        throw unauthenticated(err);
      }
      const kind = kinds.get(payload.iss ?? '');
      if (kind === 'staff') return staffActor(payload);
      if (kind === 'citizen') return citizenActor(payload);
      throw new Unauthenticated('token issuer not trusted');
    },
  };
}

function bearerToken(header: string | undefined): string {
  if (!header?.trim()) throw new Unauthenticated('missing bearer token');
  const match = /^Bearer +(\S+)$/i.exec(header.trim());
  if (!match?.[1]) throw new Unauthenticated('authorization header must be "Bearer <token>"');
  return match[1];
}

/** Maps the library's errors to safe reasons; JWKS fetch failures are ours (5xx), not the caller's. */
function unauthenticated(err: unknown): unknown {
  if (!(err instanceof JwtBaseError) || err instanceof FetchError) return err;
  if (err instanceof JwtExpiredError) return new Unauthenticated('token expired');
  if (err instanceof JwtNotBeforeError) return new Unauthenticated('token not yet valid');
  if (err instanceof JwtInvalidAudienceError) return new Unauthenticated('token not issued for this service');
  if (err instanceof JwtInvalidIssuerError || err instanceof ParameterValidationError)
    return new Unauthenticated('token issuer not trusted');
  if (err instanceof JwtInvalidSignatureError || err instanceof JwtInvalidSignatureAlgorithmError)
    return new Unauthenticated('invalid token signature');
  if (
    err instanceof KidNotFoundInJwksError ||
    err instanceof JwtWithoutValidKidError ||
    err instanceof WaitPeriodNotYetEndedJwkError
  )
    return new Unauthenticated('unknown signing key');
  if (err instanceof JwtParseError) return new Unauthenticated('malformed token');
  return new Unauthenticated('invalid token');
}

/** Names only the offending claims, never their values (they may be an NHS number or a name). */
function claims<T extends z.ZodType>(schema: T, payload: JwtPayload): z.output<T> {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return parsed.data;
  const paths = [...new Set(parsed.error.issues.map((i) => i.path.join('.')))];
  throw new Unauthenticated(`invalid token claims: ${paths.join(', ')}`);
}

function staffActor(payload: JwtPayload): Actor {
  const c = claims(StaffClaims, payload);
  return { kind: 'staff', id: c.sub, role: c.role, organisation: c.ods, ...(c.name && { name: c.name }) };
}

function citizenActor(payload: JwtPayload): Actor {
  const c = claims(CitizenClaims, payload);
  if (c.identity_proofing_level !== 'P9') throw new InsufficientProofing(c.identity_proofing_level);
  return {
    kind: 'citizen',
    id: c.sub,
    role: c.role,
    nhsNumber: c.nhs_number,
    proofingLevel: c.identity_proofing_level,
    ...(c.name && { name: c.name }),
  };
}
