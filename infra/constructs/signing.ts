import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { ServiceConfig } from '../config.ts';

export type SigningProps = { config: ServiceConfig };

/** What a function does with the service signing key: sign with it, or only read the public keys. */
export type SigningUse = 'sign' | 'publicKeys';

/**
 * The service's own signing key (docs/design.md "The service's signing key"): an asymmetric KMS
 * key, ECC_NIST_P256 for ES256, whose private half never leaves KMS. Asymmetric keys do not rotate
 * in KMS: a new key replaces it, and the old key's ARN goes into `previousSigningKeys`, so its public
 * key stays published until what it signed has expired. The key policy is CDK's default (the
 * account, through IAM); each function's role is granted `kms:Sign` or `kms:GetPublicKey` by its
 * line in `uses` (infra/constructs/functions.ts), and nothing else may use the key.
 */
export class Signing extends Construct {
  readonly key: Key;
  readonly previousKeyArns: readonly string[];

  constructor(scope: Construct, id: string, props: SigningProps) {
    super(scope, id);
    const { stage, previousSigningKeys } = props.config;
    const keep = stage !== 'dev';
    this.key = new Key(this, 'Key', {
      description: `Urgent care plans (${stage}): the service's signing key (ES256), its tokens and signed documents`,
      alias: `alias/urgent-care-plans/${stage}/signing`,
      keySpec: KeySpec.ECC_NIST_P256,
      keyUsage: KeyUsage.SIGN_VERIFY,
      pendingWindow: Duration.days(keep ? 30 : 7),
      // Retained outside dev: a verifier may still hold something it signed.
      removalPolicy: keep ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.previousKeyArns = previousSigningKeys;
  }

  /** Signs with the current key only; reads the public keys of the current and the previous ones. */
  grant(grantee: IGrantable, use: SigningUse): void {
    const statement = (sid: string, actions: string[], resources: string[]) =>
      grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ sid, actions, resources }));
    statement('SigningPublicKeys', ['kms:GetPublicKey'], [this.key.keyArn, ...this.previousKeyArns]);
    if (use === 'sign') statement('Signing', ['kms:Sign'], [this.key.keyArn]);
  }
}
