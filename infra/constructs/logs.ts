import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  type AddToPrincipalPolicyResult,
  ManagedPolicy,
  PolicyStatement,
  Role,
  type RoleProps,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ServiceConfig } from '../config.ts';

export type LogsProps = { config: ServiceConfig };

/**
 * Every log group of the service (functions, API access logs, WAF): one retention from
 * configuration, encrypted with one customer-managed key that only CloudWatch Logs of this
 * account and region may use. Logs carry ids and outcomes, never clinical content, but they do
 * carry request metadata, so they are treated as sensitive.
 */
export class Logs extends Construct {
  readonly key: Key;
  private readonly config: ServiceConfig;

  constructor(scope: Construct, id: string, props: LogsProps) {
    super(scope, id);
    this.config = props.config;
    const { stage } = props.config;
    const keep = stage !== 'dev';
    const { region, account, partition } = Stack.of(this);
    this.key = new Key(this, 'Key', {
      description: `Urgent care plans (${stage}): CloudWatch log groups`,
      alias: `alias/urgent-care-plans/${stage}/logs`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(keep ? 30 : 7),
      removalPolicy: keep ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchLogsOfThisAccount',
        principals: [new ServicePrincipal(`logs.${region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${partition}:logs:${region}:${account}:log-group:*`,
          },
        },
      }),
    );
  }

  /** A log group with the service's retention and key. */
  group(scope: Construct, id: string, logGroupName?: string): LogGroup {
    const keep = this.config.stage !== 'dev';
    return new LogGroup(scope, id, {
      ...(logGroupName && { logGroupName }),
      retention: this.config.logRetention,
      encryptionKey: this.key,
      removalPolicy: keep ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  }
}

/**
 * A role whose every grant lands in one customer-managed policy of its own rather than an inline
 * one (HIPAA Security: IAMNoInlinePolicy), so CDK's `grant*` helpers can be used as usual.
 */
export class ServiceRole extends Role {
  readonly policy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: RoleProps) {
    super(scope, id, props);
    this.policy = new ManagedPolicy(this, 'Policy', { roles: [this], description: props.description });
  }

  override addToPrincipalPolicy(statement: PolicyStatement): AddToPrincipalPolicyResult {
    this.policy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.policy };
  }
}
