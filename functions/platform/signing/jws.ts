import { createHash } from 'node:crypto';

/**
 * Compact JWS (RFC 7515) with ES256 (RFC 7518 §3.4): the pieces both signers share. Signing
 * itself is the adapter's (KMS in AWS, a key file on one machine): see signing/kms.ts and
 * signing/key-file.ts.
 */

/** A public P-256 key as a JWK, as `/.well-known/jwks.json` publishes it. */
export type PublicJwk = {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
};
export type PublicJwks = { keys: PublicJwk[] };

/** ES256's signature is r and s, each 32 bytes, one after the other. */
const coordinateBytes = 32;

/**
 * The RFC 7638 thumbprint of a P-256 public key: SHA-256 of its required members in lexical
 * order, no spaces, base64url. A stable `kid` that changes only when the key does.
 */
export const jwkThumbprint = (jwk: { crv: string; kty: string; x: string; y: string }): string =>
  createHash('sha256')
    .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }))
    .digest('base64url');

/** A P-256 public key's JWK (node:crypto's export) with its thumbprint as `kid`. */
export const publicJwk = (key: { kty?: string; crv?: string; x?: string; y?: string }): PublicJwk => {
  if (key.kty !== 'EC' || key.crv !== 'P-256' || !key.x || !key.y)
    throw new Error('the service signing key is not an EC P-256 key');
  const members = { kty: 'EC', crv: 'P-256', x: key.x, y: key.y } as const;
  return { ...members, kid: jwkThumbprint(members), alg: 'ES256', use: 'sig' };
};

/** The JWS signing input: base64url(header) "." base64url(payload). */
export const signingInput = (header: Record<string, unknown>, payload: Record<string, unknown>): string =>
  `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;

/** The protected header of every JWS the service signs. */
export const jwsHeader = (kid: string, typ: string) => ({ alg: 'ES256', typ, kid });

/**
 * An ECDSA signature in ASN.1 DER (`SEQUENCE { r INTEGER, s INTEGER }`, as KMS answers it) as
 * JOSE's raw r||s, each left-padded to 32 bytes. Anything else throws: a malformed answer is
 * never passed on as a signature.
 */
export function derToJose(der: Uint8Array): Buffer {
  const bytes = Buffer.from(der);
  let at = 0;
  const fail = (why: string): never => {
    throw new Error(`not a DER ECDSA signature: ${why}`);
  };
  const length = (): number => {
    const first = bytes[at++] ?? fail('truncated');
    if (first < 0x80) return first;
    // A P-256 signature is at most 72 bytes: one length byte after 0x81 is the most it needs.
    if (first !== 0x81) return fail('unexpected length form');
    const long = bytes[at++] ?? fail('truncated');
    if (long < 0x80) fail('length not minimally encoded');
    return long;
  };
  const integer = (): Buffer => {
    if (bytes[at++] !== 0x02) fail('expected an INTEGER');
    const size = length();
    if (size === 0 || at + size > bytes.length) fail('bad INTEGER length');
    let value = bytes.subarray(at, at + size);
    at += size;
    if ((value[0] ?? 0) & 0x80) fail('negative INTEGER');
    // A leading zero only keeps the sign bit clear: drop it.
    while (value.length > 1 && value[0] === 0) value = value.subarray(1);
    if (value.length > coordinateBytes) fail('INTEGER longer than 32 bytes');
    return Buffer.concat([Buffer.alloc(coordinateBytes - value.length), value]);
  };
  if (bytes[at++] !== 0x30) fail('expected a SEQUENCE');
  if (length() !== bytes.length - at) fail('SEQUENCE length does not match');
  const r = integer();
  const s = integer();
  if (at !== bytes.length) fail('trailing bytes');
  return Buffer.concat([r, s]);
}
