import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  ObjectLockRetention,
  ObjectOwnership,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import type { ServiceConfig } from '../config.ts';
import { ServiceRole } from './logs.ts';

export type AuditArchiveProps = { config: ServiceConfig };

/** Where functions/consumers/audit-archive.ts writes: `audit/YYYY/MM/DD/<event id>.json`. */
export const auditPrefix = 'audit/';

/**
 * The audit archive (docs/design.md "Events"): every event, one object each, kept under S3 Object
 * Lock for the configured retention, versioned, encrypted with a customer-managed key, never
 * public, TLS only, moved to colder storage as it ages; its access is logged to a second bucket.
 * Both buckets are retained whatever the stage: locked objects cannot be deleted anyway.
 */
export class AuditArchive extends Construct {
  readonly bucket: Bucket;
  readonly key: Key;
  readonly accessLogs: Bucket;

  constructor(scope: Construct, id: string, props: AuditArchiveProps) {
    super(scope, id);
    const { stage, auditRetentionDays, auditLockMode } = props.config;
    this.key = new Key(this, 'Key', {
      description: `Urgent care plans (${stage}): the audit archive`,
      alias: `alias/urgent-care-plans/${stage}/audit`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      // Objects under Object Lock outlive any stack: so must the key that decrypts them.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.accessLogs = new Bucket(this, 'AccessLogs', {
      // S3 server access logging delivers only to buckets encrypted with S3-managed keys.
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: Duration.days(Math.max(auditRetentionDays, 365)),
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogs.node.defaultChild as IConstruct).acknowledge(
      {
        id: 'AwsSolutions-S1',
        reason:
          'This is the access-log bucket of the audit archive; logging it into another bucket would only move the question one bucket along.',
      },
      {
        id: 'HIPAA.Security-S3BucketLoggingEnabled',
        reason:
          'This is the access-log bucket of the audit archive; logging it into another bucket would only move the question one bucket along.',
      },
      {
        id: 'HIPAA.Security-S3DefaultEncryptionKMS',
        reason:
          'S3 server access logging can deliver only to a bucket encrypted with S3-managed keys (SSE-S3); SSE-KMS targets are not supported. Access logs hold request metadata, not audit records.',
      },
      {
        id: 'HIPAA.Security-S3BucketReplicationEnabled',
        reason:
          'Access logs are operational diagnostics, kept versioned in-region; cross-region replication would copy them without adding to the audit trail itself.',
      },
    );

    this.bucket = new Bucket(this, 'Bucket', {
      objectLockEnabled: true,
      objectLockDefaultRetention:
        auditLockMode === 'COMPLIANCE'
          ? ObjectLockRetention.compliance(Duration.days(auditRetentionDays))
          : ObjectLockRetention.governance(Duration.days(auditRetentionDays)),
      versioned: true,
      encryption: BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'audit-archive/',
      lifecycleRules: [
        {
          id: 'colder-with-age',
          transitions: [
            { storageClass: StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) },
            { storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(90) },
            { storageClass: StorageClass.DEEP_ARCHIVE, transitionAfter: Duration.days(365) },
          ],
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.bucket.node.defaultChild as IConstruct).acknowledge({
      id: 'HIPAA.Security-S3BucketReplicationEnabled',
      reason:
        'Durability comes from S3 (eleven nines across availability zones), versioning and Object Lock; a replica in another region needs a second region, key and locked bucket that the deployment does not have yet, and is a data-residency decision (UK regions) for the service owner.',
    });
  }

  /** s3:PutObject under `audit/` only (no read, no delete), and the key to encrypt with. */
  grantArchive(grantee: IGrantable & IConstruct): void {
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnBucket);
    const policy = grantee instanceof ServiceRole ? grantee.policy.node.defaultChild : undefined;
    Validations.of(policy ?? grantee).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${auditPrefix}*]`,
      reason:
        'One object per event, keyed by date and event id (functions/consumers/audit-archive.ts): the writer must be able to create any key under audit/, and only there. It may not read or delete; it writes with If-None-Match, and Object Lock keeps every version.',
    });
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ArchiveWrite',
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${auditPrefix}*`)],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ArchiveKey',
        actions: ['kms:GenerateDataKey'],
        resources: [this.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }
}
