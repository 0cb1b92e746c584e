import { createHash, generateKeyPairSync } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { account, ofType, type ResolvedStack } from './template.ts';

/**
 * KMS's asymmetric signing keys, as the template declares them: each `AWS::KMS::Key` with KeySpec
 * ECC_NIST_P256 and KeyUsage SIGN_VERIFY gets a P-256 key pair made for this rehearsal alone, and
 * answers GetPublicKey (the SubjectPublicKeyInfo, DER) and Sign (ECDSA_SHA_256 over a RAW message
 * or a DIGEST, an ASN.1 DER signature, randomised and not low-S normalised, as KMS's are). A key
 * is named as KMS accepts it: key id, key ARN, alias name or alias ARN. Other key specs and keys
 * outside the template are not rehearsed: the caller reports them.
 */

export type SigningKey = {
  arn: string;
  keyId: string;
  keySpec: 'ECC_NIST_P256';
  keyUsage: 'SIGN_VERIFY';
  enabled: boolean;
  /** SubjectPublicKeyInfo, DER: what GetPublicKey answers. */
  publicKey: Buffer;
  secretKey: Uint8Array;
};

/** What a request named: the key, and the alias it went through (the `kms:RequestAlias` condition key). */
export type Resolved =
  | { found: 'signing'; key: SigningKey; alias: string | undefined }
  /** A key of the template the rehearsal does not emulate (symmetric, RSA, another curve). */
  | { found: 'other'; arn: string; keySpec: string; keyUsage: string }
  | { found: 'none' };

export type KmsError = { type: string; message: string };

/** The signing algorithms KMS knows: a name outside these is a ValidationException, not a key mismatch. */
const knownAlgorithms = new Set([
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
  'ECDSA_SHA_256',
  'ECDSA_SHA_384',
  'ECDSA_SHA_512',
  'SM2DSA',
  'ML_DSA_SHAKE_256',
]);

/** The most bytes of a RAW message KMS signs. */
const maxMessageBytes = 4096;

export class SigningKeys {
  private readonly keys = new Map<string, SigningKey>();
  private readonly others = new Map<string, { arn: string; keySpec: string; keyUsage: string }>();
  /** `alias/name` to the key id it targets. */
  private readonly aliases = new Map<string, string>();
  private readonly region: string;

  constructor(stack: ResolvedStack) {
    this.region = stack.region;
    for (const [id, resource] of ofType(stack, 'AWS::KMS::Key')) {
      const p = resource.Properties ?? {};
      const keyId = stack.refOf(id);
      const arn = stack.attributeOf(id, 'Arn');
      const keySpec = String(p.KeySpec ?? 'SYMMETRIC_DEFAULT');
      const keyUsage = String(p.KeyUsage ?? 'ENCRYPT_DECRYPT');
      if (keySpec !== 'ECC_NIST_P256' || keyUsage !== 'SIGN_VERIFY') {
        this.others.set(keyId, { arn, keySpec, keyUsage });
        continue;
      }
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      this.keys.set(keyId, {
        arn,
        keyId,
        keySpec,
        keyUsage,
        enabled: p.Enabled !== false,
        publicKey: publicKey.export({ type: 'spki', format: 'der' }),
        secretKey: Buffer.from(String(privateKey.export({ format: 'jwk' }).d), 'base64url'),
      });
    }
    for (const [, resource] of ofType(stack, 'AWS::KMS::Alias')) {
      const target = String(resource.Properties?.TargetKeyId ?? '');
      this.aliases.set(
        String(resource.Properties?.AliasName),
        target.replace(/^arn:aws:kms:[^:]*:\d*:key\//, ''),
      );
    }
  }

  /** The key a `KeyId` parameter names, as KMS reads it. */
  resolve(keyRef: string): Resolved {
    const aliasArn = /^arn:aws:kms:([^:]*):(\d*):(alias\/.+)$/.exec(keyRef);
    const keyArn = /^arn:aws:kms:([^:]*):(\d*):key\/(.+)$/.exec(keyRef);
    const here = (match: RegExpExecArray) => match[1] === this.region && match[2] === account;
    let keyId: string | undefined;
    let alias: string | undefined;
    if (aliasArn) {
      alias = here(aliasArn) ? aliasArn[3] : undefined;
      keyId = alias ? this.aliases.get(alias) : undefined;
    } else if (keyRef.startsWith('alias/')) {
      alias = keyRef;
      keyId = this.aliases.get(keyRef);
    } else if (keyArn) {
      keyId = here(keyArn) ? keyArn[3] : undefined;
    } else {
      keyId = keyRef;
    }
    const key = keyId === undefined ? undefined : this.keys.get(keyId);
    if (key) return { found: 'signing', key, alias };
    const other = keyId === undefined ? undefined : this.others.get(keyId);
    return other ? { found: 'other', ...other } : { found: 'none' };
  }

  /** KMS Sign with a signing key: the DER signature, or the error KMS answers. */
  sign(
    key: SigningKey,
    input: { Message?: string; MessageType?: string; SigningAlgorithm?: string },
  ): { signature: Buffer } | KmsError {
    if (!key.enabled) return { type: 'DisabledException', message: `${key.arn} is disabled.` };
    const algorithm = input.SigningAlgorithm;
    if (!algorithm || !knownAlgorithms.has(algorithm))
      return { type: 'ValidationException', message: `SigningAlgorithm ${algorithm} is not valid` };
    if (algorithm !== 'ECDSA_SHA_256')
      return {
        type: 'InvalidKeyUsageException',
        message: `You cannot use ${algorithm} with a KMS key of spec ${key.keySpec}.`,
      };
    const message = Buffer.from(input.Message ?? '', 'base64');
    if (message.length < 1 || message.length > maxMessageBytes)
      return { type: 'ValidationException', message: 'Message must be between 1 and 4096 bytes long' };
    const messageType = input.MessageType ?? 'RAW';
    let digest: Buffer;
    if (messageType === 'RAW') digest = createHash('sha256').update(message).digest();
    else if (messageType === 'DIGEST') {
      if (message.length !== 32)
        return {
          type: 'ValidationException',
          message: 'Digest is invalid length for algorithm ECDSA_SHA_256.',
        };
      digest = message;
    } else
      return {
        type: 'ValidationException',
        message: `MessageType ${messageType} is not valid for ${key.keySpec}`,
      };
    // node:crypto always hashes what it signs; a DIGEST must be signed as given.
    const signature = p256.sign(digest, key.secretKey, {
      prehash: false,
      format: 'der',
      lowS: false,
      extraEntropy: true,
    });
    return { signature: Buffer.from(signature) };
  }
}
