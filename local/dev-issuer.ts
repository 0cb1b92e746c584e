import {
  createHash,
  createPrivateKey,
  createPublicKey,
  createSign,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Jwk } from 'aws-jwt-verify/jwk';
import { OdsCode, Role, StaffRole } from '../domain/actor.ts';
import type { TrustedIssuer } from '../functions/platform/identity.ts';

/**
 * The one-machine token issuer: one RSA key for "staff" (CIS2-like) and one for "citizen"
 * (NHS login-like), made on first use under `<dataDir>/issuer/` and reused after, so the
 * server and `npm run token` agree as long as they share DATA_DIR (local/instance.ts finds it).
 */

type Kind = TrustedIssuer['kind'];

export const devAudience = 'urgent-care-plans';
export const devIssuers = {
  staff: 'urn:ucp:dev-issuer:staff',
  citizen: 'urn:ucp:dev-issuer:citizen',
} as const satisfies Record<Kind, string>;
const defaultTtlSeconds = 12 * 60 * 60;

export type DevIssuer = {
  /** The two dev issuers with their public keys inline: give these to createTokenVerifier. */
  trustedIssuers: TrustedIssuer[];
  /** Signs an RS256 JWT; `iss`, `aud`, `iat` and `exp` (12 h) default from `kind`, `claims` override them. */
  sign(claims: Record<string, unknown>, kind: Kind): string;
};

type SigningKey = { privateKey: KeyObject; kid: string; jwk: Jwk };

export function ensureDevIssuer(dataDir: string): DevIssuer {
  const dir = join(dataDir, 'issuer');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keys: Record<Kind, SigningKey> = {
    staff: signingKey(dir, 'staff'),
    citizen: signingKey(dir, 'citizen'),
  };

  return {
    trustedIssuers: (['staff', 'citizen'] as const).map((kind) => ({
      kind,
      issuer: devIssuers[kind],
      audience: devAudience,
      // Never fetched (the keys are inline), but aws-jwt-verify keys its cache by this URI.
      jwksUri: `https://dev-issuer.invalid/${kind}/.well-known/jwks.json`,
      jwks: { keys: [keys[kind].jwk] },
    })),
    sign(claims, kind) {
      const { privateKey, kid } = keys[kind];
      const now = Math.floor(Date.now() / 1000);
      const header = { alg: 'RS256', typ: 'JWT', kid };
      const payload = {
        iss: devIssuers[kind],
        aud: devAudience,
        iat: now,
        exp: now + defaultTtlSeconds,
        ...claims,
      };
      const input = `${base64url(header)}.${base64url(payload)}`;
      return `${input}.${createSign('RSA-SHA256').update(input).sign(privateKey, 'base64url')}`;
    },
  };
}

/** Whether dataDir already has both keys: `npm run token` signs only with keys a server may know. */
export const hasDevKeys = (dataDir: string): boolean =>
  (['staff', 'citizen'] as const).every((kind) => existsSync(keyPath(join(dataDir, 'issuer'), kind)));

export type DevTokenOptions = {
  role: string;
  /** ODS code of the organisation: staff roles only. */
  org?: string;
  sub?: string;
  name?: string;
  /** The patient's NHS number (spaces allowed): patient and carer only. */
  nhs?: string;
  ttlSeconds?: number;
};

/** A signed token for `role`, as `npm run token` prints. Throws a plain Error with a clear message on bad input. */
export function issueDevToken(dataDir: string, options: DevTokenOptions): string {
  const { kind, claims } = devClaims(options);
  return ensureDevIssuer(dataDir).sign(claims, kind);
}

/** The claims `issueDevToken` signs, and which issuer signs them; a plain Error with a clear message on bad input. */
export function devClaims(options: DevTokenOptions): { kind: Kind; claims: Record<string, unknown> } {
  const role = Role.safeParse(options.role);
  if (!role.success)
    throw new Error(`unknown role "${options.role}": expected one of ${Role.options.join(', ')}`);
  const ttl = options.ttlSeconds ?? defaultTtlSeconds;
  if (!Number.isInteger(ttl) || ttl <= 0) throw new Error('ttlSeconds must be a positive whole number');
  const now = Math.floor(Date.now() / 1000);
  const common = {
    sub: options.sub ?? `dev-${role.data}-${randomBytes(4).toString('hex')}`,
    ...(options.name && { name: options.name }),
    iat: now,
    exp: now + ttl,
  };

  if (StaffRole.safeParse(role.data).success) {
    if (options.nhs !== undefined) throw new Error(`--nhs is for patient and carer tokens, not ${role.data}`);
    if (options.org === undefined) {
      // An admin of no organisation is a service administrator: it manages every registry entry.
      if (role.data === 'admin') return { kind: 'staff', claims: { ...common, role: role.data } };
      throw new Error(`staff role ${role.data} needs --org <ODS code>`);
    }
    const ods = OdsCode.safeParse(options.org);
    if (!ods.success) throw new Error(`--org ${ods.error.issues[0]?.message ?? 'is invalid'}`);
    return { kind: 'staff', claims: { ...common, role: role.data, ods: ods.data } };
  }

  if (options.org !== undefined) throw new Error(`--org is for staff tokens, not ${role.data}`);
  if (options.nhs === undefined) throw new Error(`${role.data} needs --nhs <NHS number>`);
  const nhs = options.nhs.replace(/\s/g, '');
  if (!/^\d{10}$/.test(nhs)) throw new Error('--nhs must be a 10-digit NHS number');
  return {
    kind: 'citizen',
    claims: { ...common, role: role.data, nhs_number: nhs, identity_proofing_level: 'P9' },
  };
}

const keyPath = (dir: string, kind: Kind) => join(dir, `${kind}.key.pem`);

/** Loads the kind's private key, making it first if absent; the public JWK is derived from it. */
function signingKey(dir: string, kind: Kind): SigningKey {
  const pemPath = keyPath(dir, kind);
  const created = !existsSync(pemPath) && createKey(pemPath);
  const privateKey = createPrivateKey(readFileSync(pemPath));
  const { n, e } = createPublicKey(privateKey).export({ format: 'jwk' });
  if (!n || !e) throw new Error(`${pemPath} is not an RSA private key`);
  // RFC 7638 thumbprint: a stable kid that changes only when the key does.
  const kid = createHash('sha256')
    .update(JSON.stringify({ e, kty: 'RSA', n }))
    .digest('base64url');
  const jwk: Jwk = { kty: 'RSA', n, e, kid, alg: 'RS256', use: 'sig' };
  // For people and tools that want the public keys; the server derives them from the private key.
  if (created) writeFileSync(join(dir, `${kind}.jwks.json`), `${JSON.stringify({ keys: [jwk] }, null, 2)}\n`);
  return { privateKey, kid, jwk };
}

/** Writes a new private key at pemPath unless another process got there first; true if ours won. */
function createKey(pemPath: string): boolean {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const tmp = `${pemPath}.${process.pid}.tmp`;
  writeFileSync(tmp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  try {
    // link, unlike rename, fails if another process (server vs. token CLI) made the key first: theirs wins.
    linkSync(tmp, pemPath);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
