import { type Fetcher, SimpleFetcher } from 'aws-jwt-verify/https';
import { isJwks, type Jwks, SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { JwtVerifier } from 'aws-jwt-verify/jwt-verifier';
import {
  type Actor,
  type CitizenRole,
  citizenRoles,
  odsCodePattern,
  type ProofingLevel,
  proofingLevels,
  type StaffActor,
  type StaffRole,
  staffRoles,
} from '../../domain/actor.ts';
import { env, setting } from './config.ts';
import { inlineKeysOffline, type JwtFailure, jwtFailure } from './jwt-verification.ts';

/**
 * Token claims and issuer settings are checked by hand, not with zod: the crisis lookup's bundle
 * then carries no validation library at all (see bench/).
 */
type Check = (value: unknown) => boolean;
const text: Check = (v) => typeof v === 'string' && v.length > 0;
const number: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const oneOf =
  (values: readonly string[]): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v);
const pattern =
  (re: RegExp): Check =>
  (v) =>
    typeof v === 'string' && re.test(v);
const optional =
  (check: Check): Check =>
  (v) =>
    v === undefined || check(v);
const url: Check = (v) => typeof v === 'string' && URL.canParse(v);

/** The names of the fields that fail their check (never their values: they may be an NHS number). */
const failing = (shape: Record<string, Check>, value: unknown): string[] => {
  const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  return Object.entries(shape)
    .filter(([field, check]) => !check(record[field]))
    .map(([field]) => field);
};

export type TrustedIssuer = {
  kind: 'staff' | 'citizen';
  issuer: string;
  audience: string;
  jwksUri: string;
  /** Inline public keys: when present they are the only keys trusted, nothing is fetched. */
  jwks?: Jwks;
  /**
   * National identities (staff only): the role is a code of the issuer's (a national RBAC job role
   * code such as R8000), mapped to ours by `roles`; a token whose code is not mapped is 403.
   * Without `roles` the token's `role` claim is one of our roles.
   */
  roles?: Record<string, StaffRole>;
  /** The claim holding the role code (default `role`); a value `S8000:G8000:R8000` maps by its last part too. */
  roleClaim?: string;
  /** The claim holding the user's ODS code (default `ods`). */
  odsClaim?: string;
};

const roleMap: Check = (v) =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.keys(v).length > 0 &&
  Object.values(v).every(oneOf(staffRoles));

const trustedIssuerShape: Record<keyof TrustedIssuer, Check> = {
  kind: oneOf(['staff', 'citizen']),
  issuer: text,
  audience: text,
  jwksUri: url,
  jwks: optional((v) => isJwks(v as Parameters<typeof isJwks>[0])),
  roles: optional(roleMap),
  roleClaim: optional(text),
  odsClaim: optional(text),
};

/** Reads the JSON array of trusted issuers from `TRUSTED_ISSUERS`. */
export function trustedIssuersFromEnv(env: Record<string, string | undefined>): TrustedIssuer[] {
  const raw = env.TRUSTED_ISSUERS;
  if (!raw) throw new Error('TRUSTED_ISSUERS is not set: expected a JSON array of trusted token issuers');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error('TRUSTED_ISSUERS is not valid JSON');
  }
  if (!Array.isArray(json) || json.length === 0)
    throw new Error('TRUSTED_ISSUERS must be a non-empty JSON array');
  json.forEach((issuer, i) => {
    const bad = failing(trustedIssuerShape, issuer);
    if (bad.length > 0) throw new Error(`TRUSTED_ISSUERS[${i}] is invalid: ${bad.join(', ')}`);
    if (issuer.kind !== 'staff' && (issuer.roles || issuer.roleClaim || issuer.odsClaim))
      throw new Error(
        `TRUSTED_ISSUERS[${i}] is invalid: roles, roleClaim and odsClaim are for staff issuers`,
      );
  });
  return json as TrustedIssuer[];
}

/** The token issuers trusted (`TRUSTED_ISSUERS`), read once and checked. */
export const trustedIssuers = /* @__PURE__ */ setting(env.TRUSTED_ISSUERS, (raw) =>
  trustedIssuersFromEnv({ [env.TRUSTED_ISSUERS]: raw }),
);

/** The request has no acceptable credentials: 401. `reason` is safe to return and log. */
export class Unauthenticated extends Error {
  override readonly name = 'Unauthenticated';
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.reason = reason;
  }
}

/** A national identity whose role code the issuer's settings do not map: 403, with the code (never who). */
export class UnmappedRole extends Error {
  override readonly name = 'UnmappedRole';
  constructor(code: string | undefined) {
    super(
      code === undefined
        ? 'the token carries no role code: this service cannot tell what you may do'
        : `national role code ${code} is not mapped to a role of this service: ask your organisation's admin or the service desk`,
    );
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
const common = { sub: text, name: optional(text), exp: number };
const staffClaims = { ...common, role: oneOf(staffRoles), ods: pattern(odsCodePattern) };
/** An admin token without an organisation is a service administrator's; every other staff token needs one. */
const serviceAdminClaims = { ...common, role: oneOf(['admin']), ods: (v: unknown) => v === undefined };
const citizenClaims = {
  ...common,
  role: optional(oneOf(citizenRoles)),
  nhs_number: pattern(/^\d{10}$/),
  identity_proofing_level: oneOf(proofingLevels),
};

export type TokenVerifier = { verify(authorizationHeader: string | undefined): Promise<Actor> };

/**
 * The service itself as an issuer: the tokens it signs after a launch (functions/http/tokens.ts),
 * verified against its own public keys, never fetched over the network.
 */
export type ServiceIssuer = { issuer: string; audience: string; publicKeys: () => Promise<Jwks> };
const serviceJwksUri = 'https://urgent-care-plans.invalid/.well-known/jwks.json';

export function createTokenVerifier(issuers: TrustedIssuer[], service?: ServiceIssuer): TokenVerifier {
  // aws-jwt-verify caches JWKS by URI, so a shared URI would let one issuer's keys sign for another.
  const uris = new Set(issuers.map((i) => i.jwksUri));
  if (uris.size !== issuers.length) throw new Error('each trusted issuer needs its own jwksUri');
  if (service && issuers.some((i) => i.issuer === service.issuer || i.jwksUri === serviceJwksUri))
    throw new Error(`TRUSTED_ISSUERS may not name the service's own issuer (${service.issuer})`);

  // Issuers with inline keys must never reach the network: an unknown kid is simply unknown.
  const inline = new Set(issuers.filter((i) => i.jwks).map((i) => i.jwksUri));
  const https = inlineKeysOffline(inline, new SimpleFetcher());
  const fetcher: Fetcher = {
    fetch: async (uri, options, data) => {
      if (service && uri === serviceJwksUri)
        return new TextEncoder().encode(JSON.stringify(await service.publicKeys())).buffer;
      return https.fetch(uri, options, data);
    },
  };
  const verifier = JwtVerifier.create(
    [
      ...issuers.map(({ issuer, audience, jwksUri }) => ({ issuer, audience, jwksUri })),
      ...(service ? [{ issuer: service.issuer, audience: service.audience, jwksUri: serviceJwksUri }] : []),
    ],
    { jwksCache: new SimpleJwksCache({ fetcher }) },
  );
  for (const { issuer, jwks } of issuers) if (jwks) verifier.cacheJwks(jwks, issuer);
  const byIssuer = new Map(issuers.map((i) => [i.issuer, i]));
  const actorOf = (payload: JwtPayload): Actor => {
    if (service && payload.iss === service.issuer) return launchedActor(payload);
    const trusted = byIssuer.get(payload.iss ?? '');
    if (trusted?.kind === 'citizen') return citizenActor(payload);
    if (trusted?.kind === 'staff')
      return trusted.roles ? nationalStaffActor(payload, trusted) : staffActor(payload);
    throw new Unauthenticated('token issuer not trusted');
  };
  // A token already verified is the same bytes, signature included: its actor is kept until the
  // token expires, so a crew's next lookup skips the RSA check. Only expiry can change the answer.
  const verified = new Map<string, { actor: Actor; exp: number }>();

  return {
    async verify(authorizationHeader) {
      const token = bearerToken(authorizationHeader);
      const known = verified.get(token);
      if (known) {
        if (known.exp >= Date.now() / 1000) return known.actor;
        verified.delete(token);
        throw new Unauthenticated('token expired');
      }
      let payload: JwtPayload;
      try {
        payload = await verifier.verify(token);
      } catch (err) {
        throw unauthenticated(err);
      }
      const actor = actorOf(payload);
      if (verified.size >= maxVerifiedTokens) verified.delete(verified.keys().next().value as string);
      verified.set(token, { actor, exp: payload.exp as number });
      return actor;
    },
  };
}

/** Tokens kept verified per process: a warm function serves a few crews at a time, not thousands. */
const maxVerifiedTokens = 500;

function bearerToken(header: string | undefined): string {
  if (!header?.trim()) throw new Unauthenticated('missing bearer token');
  const match = /^Bearer +(\S+)$/i.exec(header.trim());
  if (!match?.[1]) throw new Unauthenticated('authorization header must be "Bearer <token>"');
  return match[1];
}

const tokenProblems: Record<Exclude<JwtFailure, 'keysUnavailable'>, string> = {
  expired: 'token expired',
  notYetValid: 'token not yet valid',
  wrongAudience: 'token not issued for this service',
  wrongIssuer: 'token issuer not trusted',
  unknownIssuer: 'token issuer not trusted',
  wrongAlgorithm: 'invalid token signature',
  badSignature: 'invalid token signature',
  unknownKey: 'unknown signing key',
  malformed: 'malformed token',
  invalid: 'invalid token',
};

/** Maps the library's errors to safe reasons; JWKS fetch failures are ours (5xx), not the caller's. */
function unauthenticated(err: unknown): unknown {
  const failure = jwtFailure(err);
  return failure && failure !== 'keysUnavailable' ? new Unauthenticated(tokenProblems[failure]) : err;
}

/** Names only the offending claims, never their values (they may be an NHS number or a name). */
function claims(shape: Record<string, Check>, payload: JwtPayload): Record<string, unknown> {
  const bad = failing(shape, payload);
  if (bad.length > 0) throw new Unauthenticated(`invalid token claims: ${bad.join(', ')}`);
  return payload;
}

/** A member of staff from claims already checked: `sub`, `role`, `ods` and perhaps `name`. */
const staffMember = (c: Record<string, unknown>): StaffActor => ({
  kind: 'staff',
  id: c.sub as string,
  role: c.role as StaffRole,
  organisation: c.ods as string,
  ...(typeof c.name === 'string' && { name: c.name }),
});

function staffActor(payload: JwtPayload): Actor {
  if (failing(serviceAdminClaims, payload).length === 0) {
    return {
      kind: 'serviceAdmin',
      id: payload.sub as string,
      role: 'admin',
      ...(typeof payload.name === 'string' && { name: payload.name }),
    };
  }
  return staffMember(claims(staffClaims, payload));
}

function citizenActor(payload: JwtPayload): Actor {
  const c = claims(citizenClaims, payload);
  const level = c.identity_proofing_level as ProofingLevel;
  if (level !== 'P9') throw new InsufficientProofing(level);
  return {
    kind: 'citizen',
    id: c.sub as string,
    role: (c.role as CitizenRole | undefined) ?? 'patient',
    nhsNumber: c.nhs_number as string,
    proofingLevel: level,
    ...(typeof c.name === 'string' && { name: c.name }),
  };
}

/** The role our way: the claim's code mapped by the issuer's `roles`, whole or by its last `:` part. */
function nationalStaffActor(payload: JwtPayload, issuer: TrustedIssuer): Actor {
  const roleClaim = issuer.roleClaim ?? 'role';
  const odsClaim = issuer.odsClaim ?? 'ods';
  claims(common, payload);
  const code = payload[roleClaim];
  const roles = issuer.roles ?? {};
  const mapped = (candidate: string) => (Object.hasOwn(roles, candidate) ? roles[candidate] : undefined);
  const role = typeof code === 'string' ? (mapped(code) ?? mapped(code.split(':').at(-1) ?? '')) : undefined;
  if (!role) throw new UnmappedRole(typeof code === 'string' ? code : undefined);
  const ods = payload[odsClaim];
  // Always of an organisation: a national identity is never a service administrator.
  if (!pattern(odsCodePattern)(ods)) throw new Unauthenticated(`invalid token claims: ${odsClaim}`);
  return staffActor({ ...payload, role, ods: ods as string });
}

/** The service's own token after a launch: one patient, and the host system it came through. */
const launchedClaims = {
  ...common,
  role: oneOf(staffRoles),
  ods: pattern(odsCodePattern),
  patient: pattern(/^\d{10}$/),
  via: text,
};
function launchedActor(payload: JwtPayload): Actor {
  const c = claims(launchedClaims, payload);
  return { ...staffMember(c), launch: { hostSystem: c.via as string, patient: c.patient as string } };
}
