import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { derToJose, jwkThumbprint } from '../../functions/platform/signing/jws.ts';
import { keyFileSigner } from '../../functions/platform/signing/key-file.ts';
import { kmsSigner } from '../../functions/platform/signing/kms.ts';
import { kmsLikeKey } from '../support/kms-signing.ts';

/** The service signing key (functions/platform/signing/): verified by jose, an independent library. */

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'ucp-signing-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const verifyWith = async (
  token: string,
  keys: Awaited<ReturnType<ReturnType<typeof keyFileSigner>['publicKeys']>>,
) => jwtVerify(token, createLocalJWKSet(keys), { algorithms: ['ES256'] });

describe('the RFC 7638 thumbprint', () => {
  it('is what an independent implementation computes, and ignores members outside the key', async () => {
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    const members = { kty: 'EC', crv: 'P-256', x: jwk.x as string, y: jwk.y as string };
    expect(jwkThumbprint(members)).toBe(await calculateJwkThumbprint(members, 'sha256'));
    expect(jwkThumbprint({ ...members, kid: 'x', use: 'sig' } as typeof members)).toBe(
      jwkThumbprint(members),
    );
  });
});

describe('DER to JOSE', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  it('turns DER signatures into r||s that verify as IEEE P1363, whatever the lengths of r and s', () => {
    const lengths = new Set<number>();
    for (let i = 0; i < 200; i += 1) {
      const data = Buffer.from(`message ${i}`);
      const der = sign('sha256', data, { key: privateKey, dsaEncoding: 'der' });
      lengths.add(der.length);
      const raw = derToJose(der);
      expect(raw).toHaveLength(64);
      expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw)).toBe(true);
    }
    // r and s of 33 bytes (leading zero), 32, and now and then shorter: all were met.
    expect(lengths.size).toBeGreaterThan(1);
  });

  it('left-pads a short integer and drops the sign byte', () => {
    const der = Buffer.from([0x30, 0x08, 0x02, 0x01, 0x05, 0x02, 0x03, 0x00, 0x80, 0x01]);
    const raw = derToJose(der);
    expect(raw.subarray(0, 32)).toEqual(Buffer.concat([Buffer.alloc(31), Buffer.from([5])]));
    expect(raw.subarray(32)).toEqual(Buffer.concat([Buffer.alloc(30), Buffer.from([0x80, 0x01])]));
  });

  it.each([
    ['empty', []],
    ['not a sequence', [0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]],
    ['wrong length', [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]],
    ['one integer', [0x30, 0x03, 0x02, 0x01, 0x01]],
    ['negative', [0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01]],
    ['trailing bytes', [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00]],
    ['too long', [0x30, 0x26, 0x02, 0x21, 0x01, ...Array(32).fill(1), 0x02, 0x01, 0x01]],
  ])('refuses %s', (_, bytes) => {
    expect(() => derToJose(Buffer.from(bytes as number[]))).toThrow(/not a DER ECDSA signature/);
  });
});

describe('the key-file signer (one machine)', () => {
  it('makes its key on first use, readable by its owner alone, and signs ES256 JWS that verify', async () => {
    const keyFile = join(tempDir(), 'signing', 'service.key.pem');
    const signer = keyFileSigner({ keyFile });
    const token = await signer.sign(
      { sub: 'dr.patel', exp: Math.floor(Date.now() / 1000) + 60 },
      { typ: 'at+jwt' },
    );
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const keys = await signer.publicKeys();
    expect(keys.keys).toHaveLength(1);
    const [key] = keys.keys;
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(key?.kid).toBe(await calculateJwkThumbprint(key as never, 'sha256'));
    const { payload, protectedHeader } = await verifyWith(token, keys);
    expect(payload.sub).toBe('dr.patel');
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: key?.kid });
  });

  it('keeps its key: another process with the same file signs with the same key', async () => {
    const keyFile = join(tempDir(), 'service.key.pem');
    const first = await keyFileSigner({ keyFile }).publicKeys();
    const pem = readFileSync(keyFile, 'utf8');
    const again = keyFileSigner({ keyFile });
    expect(await again.publicKeys()).toEqual(first);
    await verifyWith(await again.sign({ n: 1 }, { typ: 'JWT' }), first);
    expect(readFileSync(keyFile, 'utf8')).toBe(pem);
  });

  it('publishes a previous key after the current one, and signs only with the current one', async () => {
    const dir = tempDir();
    const old = keyFileSigner({ keyFile: join(dir, 'old.pem') });
    const oldToken = await old.sign({ n: 1 }, { typ: 'JWT' });
    const current = keyFileSigner({
      keyFile: join(dir, 'new.pem'),
      previousKeyFiles: [join(dir, 'old.pem')],
    });
    const keys = await current.publicKeys();
    expect(keys.keys.map((k) => k.kid)).toEqual([
      (await current.publicKeys()).keys[0]?.kid,
      (await old.publicKeys()).keys[0]?.kid,
    ]);
    await verifyWith(oldToken, keys);
    expect(decodeProtectedHeader(await current.sign({ n: 2 }, { typ: 'JWT' })).kid).toBe(keys.keys[0]?.kid);
  });
});

describe('the KMS signer (AWS)', () => {
  const kms = mockClient(KMSClient);
  const current = kmsLikeKey();
  const previous = kmsLikeKey();
  const keyId = 'arn:aws:kms:eu-west-2:111122223333:key/current';
  const previousId = 'arn:aws:kms:eu-west-2:111122223333:key/previous';
  const keysById: Record<string, ReturnType<typeof kmsLikeKey>> = {
    [keyId]: current,
    [previousId]: previous,
  };

  beforeEach(() => {
    kms.reset();
    kms.on(GetPublicKeyCommand).callsFake(({ KeyId }) => ({
      KeyId,
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      PublicKey: keysById[KeyId]?.spki,
    }));
    kms.on(SignCommand).callsFake(({ KeyId, Message, MessageType, SigningAlgorithm }) => {
      expect({ MessageType, SigningAlgorithm }).toEqual({
        MessageType: 'DIGEST',
        SigningAlgorithm: 'ECDSA_SHA_256',
      });
      return { KeyId, Signature: keysById[KeyId]?.sign(Message), SigningAlgorithm };
    });
  });
  afterAll(() => kms.restore());

  it('signs the digest of the signing input with the current key, as JOSE r||s that verifies', async () => {
    const signer = kmsSigner({ client: new KMSClient({ region: 'eu-west-2' }), keyId });
    const token = await signer.sign({ sub: 'dr.patel', big: 'x'.repeat(10_000) }, { typ: 'at+jwt' });
    const keys = await signer.publicKeys();
    const { payload, protectedHeader } = await verifyWith(token, keys);
    expect(payload.sub).toBe('dr.patel');
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: keys.keys[0]?.kid });
    const [input] = token.split('.', 2).join('.').split('\n');
    const signed = kms.commandCalls(SignCommand)[0]?.args[0].input;
    expect(signed?.KeyId).toBe(keyId);
    expect(Buffer.from(signed?.Message ?? [])).toEqual(
      createHash('sha256')
        .update(input ?? '')
        .digest(),
    );
  });

  it('asks KMS for each public key once per process, and lists the previous keys after the current', async () => {
    const signer = kmsSigner({
      client: new KMSClient({ region: 'eu-west-2' }),
      keyId,
      previousKeyIds: [previousId],
    });
    await signer.sign({ n: 1 }, { typ: 'JWT' });
    await signer.sign({ n: 2 }, { typ: 'JWT' });
    const keys = await signer.publicKeys();
    expect(keys.keys).toHaveLength(2);
    await signer.publicKeys();
    expect(kms.commandCalls(GetPublicKeyCommand).map((c) => c.args[0].input.KeyId)).toEqual([
      keyId,
      previousId,
    ]);
    const oldKeyToken = await kmsSigner({
      client: new KMSClient({ region: 'eu-west-2' }),
      keyId: previousId,
    }).sign({ n: 3 }, { typ: 'JWT' });
    await verifyWith(oldKeyToken, keys);
  });

  it('asks again after a failed GetPublicKey, and refuses a key that is not for ES256', async () => {
    kms.on(GetPublicKeyCommand).rejectsOnce(new Error('throttled')).resolves({
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      PublicKey: current.spki,
    });
    const signer = kmsSigner({ client: new KMSClient({ region: 'eu-west-2' }), keyId });
    await expect(signer.publicKeys()).rejects.toThrow('throttled');
    expect((await signer.publicKeys()).keys).toHaveLength(1);
    kms
      .on(GetPublicKeyCommand)
      .resolves({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY', PublicKey: current.spki });
    const rsa = kmsSigner({ client: new KMSClient({ region: 'eu-west-2' }), keyId });
    await expect(rsa.sign({}, { typ: 'JWT' })).rejects.toThrow(/ECC_NIST_P256/);
    expect(kms.commandCalls(SignCommand)).toHaveLength(0);
  });
});
