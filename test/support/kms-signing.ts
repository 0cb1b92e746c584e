import { generateKeyPairSync, randomBytes } from 'node:crypto';

/**
 * What KMS does for an ECC_NIST_P256 key asked to sign a digest (MessageType DIGEST): ECDSA over
 * the given 32 bytes, with no hashing of its own (node:crypto always hashes), answered as DER.
 * Written from FIPS 186-4 with plain BigInt arithmetic, apart from the code under test.
 */
const p = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const a = p - 3n;
const G = {
  x: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  y: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
};
type Point = { x: bigint; y: bigint } | null;

const mod = (v: bigint, m: bigint) => ((v % m) + m) % m;
const inverse = (v: bigint, m: bigint): bigint => {
  let [r0, r1, s0, s1] = [mod(v, m), m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
  }
  return mod(s0, m);
};
const add = (P: Point, Q: Point): Point => {
  if (!P) return Q;
  if (!Q) return P;
  if (P.x === Q.x && mod(P.y + Q.y, p) === 0n) return null;
  const l =
    P.x === Q.x && P.y === Q.y
      ? mod((3n * P.x * P.x + a) * inverse(2n * P.y, p), p)
      : mod((Q.y - P.y) * inverse(Q.x - P.x, p), p);
  const x = mod(l * l - P.x - Q.x, p);
  return { x, y: mod(l * (P.x - x) - P.y, p) };
};
const multiply = (k: bigint, P: Point): Point => {
  let result: Point = null;
  let addend = P;
  for (let bits = k; bits > 0n; bits >>= 1n) {
    if (bits & 1n) result = add(result, addend);
    addend = add(addend, addend);
  }
  return result;
};
const big = (bytes: Uint8Array) => BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
const derInteger = (v: bigint) => {
  let bytes = Buffer.from(v.toString(16).padStart(64, '0'), 'hex');
  while (bytes.length > 1 && bytes[0] === 0 && !((bytes[1] ?? 0) & 0x80)) bytes = bytes.subarray(1);
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
};

/** A P-256 key as KMS holds one: `sign(digest)` answers DER, `spki` is GetPublicKey's answer. */
export function kmsLikeKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const d = big(Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url'));
  return {
    spki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
    sign(digest: Uint8Array): Uint8Array {
      const z = big(digest);
      for (;;) {
        const k = mod(big(randomBytes(32)), n);
        const R = k === 0n ? null : multiply(k, G);
        if (!R) continue;
        const r = mod(R.x, n);
        const s = mod(inverse(k, n) * (z + r * d), n);
        if (r === 0n || s === 0n) continue;
        const body = Buffer.concat([derInteger(r), derInteger(s)]);
        return new Uint8Array(Buffer.concat([Buffer.from([0x30, body.length]), body]));
      }
    },
  };
}
