import { createHash, createPublicKey } from 'node:crypto';
import { GetPublicKeyCommand, type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import type { ServiceSigner } from '../ports.ts';
import { derToJose, jwsHeader, type PublicJwk, publicJwk, signingInput } from './jws.ts';

/**
 * The service signing key in AWS: an asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY) whose private
 * half never leaves KMS. KMS is given the SHA-256 digest (so a payload of any size can be signed)
 * and answers a DER signature, turned into JOSE's r||s. Each key's public half comes from
 * GetPublicKey once per process: a key id's public key never changes. `previousKeyIds` are keys no
 * longer signing whose public halves stay published (rotation, docs/design.md).
 */
export function kmsSigner(options: {
  client: KMSClient;
  keyId: string;
  previousKeyIds?: readonly string[];
}): ServiceSigner {
  const { client, keyId } = options;
  const cache = new Map<string, Promise<PublicJwk>>();
  const publicKey = (id: string): Promise<PublicJwk> => {
    let known = cache.get(id);
    if (!known) {
      known = fetchPublicKey(client, id);
      // A failed fetch is not kept: the next request asks again.
      known.catch(() => cache.delete(id));
      cache.set(id, known);
    }
    return known;
  };
  return {
    async sign(payload, { typ }) {
      const { kid } = await publicKey(keyId);
      const input = signingInput(jwsHeader(kid, typ), payload);
      const { Signature } = await client.send(
        new SignCommand({
          KeyId: keyId,
          Message: createHash('sha256').update(input).digest(),
          MessageType: 'DIGEST',
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      );
      if (!Signature) throw new Error('KMS Sign answered no signature');
      return `${input}.${derToJose(Signature).toString('base64url')}`;
    },
    async publicKeys() {
      const keys = await Promise.all([keyId, ...(options.previousKeyIds ?? [])].map(publicKey));
      return { keys: keys.filter((key, i) => keys.findIndex((k) => k.kid === key.kid) === i) };
    },
  };
}

async function fetchPublicKey(client: KMSClient, keyId: string): Promise<PublicJwk> {
  const answer = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
  if (answer.KeySpec !== 'ECC_NIST_P256' || answer.KeyUsage !== 'SIGN_VERIFY' || !answer.PublicKey)
    throw new Error('the service signing key must be an ECC_NIST_P256 SIGN_VERIFY KMS key');
  const spki = createPublicKey({ key: Buffer.from(answer.PublicKey), format: 'der', type: 'spki' });
  return publicJwk(spki.export({ format: 'jwk' }));
}
