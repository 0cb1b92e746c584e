import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyFileSigner } from '../../functions/platform/signing/key-file.ts';
import { serviceKeyFile } from '../../local/runtime.ts';
import { type Api, startApi } from './harness.ts';

/**
 * The service's own signing key over real HTTP: its public keys at /.well-known/jwks.json, public
 * and cacheable, and what the service's key signs verifies against them with jose, a library the
 * service does not use.
 */
let api: Api;
beforeAll(async () => {
  api = await startApi();
}, 60_000);
afterAll(async () => {
  await api?.close();
});

describe('GET /.well-known/jwks.json', () => {
  it('serves the public key of the key the service signs with, without a token, cacheable', async () => {
    const res = await api.call('GET', '/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.body.keys).toEqual([
      {
        kty: 'EC',
        crv: 'P-256',
        x: expect.any(String),
        y: expect.any(String),
        kid: expect.any(String),
        alg: 'ES256',
        use: 'sig',
      },
    ]);
    expect(JSON.stringify(res.body)).not.toMatch(/"d"/);

    // Signed with the running service's own key file, as its functions sign.
    const signed = await keyFileSigner({ keyFile: serviceKeyFile(api.dataDir) }).sign(
      { iss: 'urgent-care-plans', sub: 'check' },
      { typ: 'JWT' },
    );
    const { payload, protectedHeader } = await jwtVerify(signed, createLocalJWKSet(res.body), {
      algorithms: ['ES256'],
    });
    expect(payload.sub).toBe('check');
    expect(protectedHeader.kid).toBe(res.body.keys[0].kid);
  });

  it('is the same set on every call (the key is kept), and answers HEAD', async () => {
    const [a, b] = await Promise.all([
      api.call('GET', '/.well-known/jwks.json'),
      api.call('GET', '/.well-known/jwks.json'),
    ]);
    expect(a.body).toEqual(b.body);
    const head = await api.call('HEAD', '/.well-known/jwks.json');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
  });
});
