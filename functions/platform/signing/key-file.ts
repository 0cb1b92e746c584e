import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ServiceSigner } from '../ports.ts';
import { jwsHeader, type PublicJwk, publicJwk, signingInput } from './jws.ts';

/**
 * The service signing key on one machine: a P-256 private key in a PEM file (under DATA_DIR),
 * made on first use, readable by its owner alone. `previousKeyFiles` are keys no longer signing
 * whose public halves stay published (rotation, docs/design.md "The service's signing key").
 */
export function keyFileSigner(options: {
  keyFile: string;
  previousKeyFiles?: readonly string[];
}): ServiceSigner {
  let loaded: { privateKey: KeyObject; jwk: PublicJwk; previous: PublicJwk[] } | undefined;
  const load = () => {
    if (!loaded) {
      if (!existsSync(options.keyFile)) createKeyFile(options.keyFile);
      const privateKey = createPrivateKey(readFileSync(options.keyFile));
      const jwkOf = (key: KeyObject) => publicJwk(createPublicKey(key).export({ format: 'jwk' }));
      const previous = (options.previousKeyFiles ?? []).map((file) =>
        publicJwk(createPublicKey(readFileSync(file)).export({ format: 'jwk' })),
      );
      loaded = { privateKey, jwk: jwkOf(privateKey), previous };
    }
    return loaded;
  };
  return {
    async sign(payload, { typ }) {
      const { privateKey, jwk } = load();
      const input = signingInput(jwsHeader(jwk.kid, typ), payload);
      // ieee-p1363 is JOSE's r||s: no DER to convert.
      const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
      return `${input}.${signature.toString('base64url')}`;
    },
    async publicKeys() {
      const { jwk, previous } = load();
      return { keys: [jwk, ...previous.filter((p) => p.kid !== jwk.kid)] };
    },
  };
}

/** Writes a new key unless another process (the server, a CLI) made one first: theirs wins. */
function createKeyFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
}
