import { CfnOutput, CfnParameter, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { ServiceConfig } from './config.ts';
import { Api } from './constructs/api.ts';
import { AuditArchive } from './constructs/audit-archive.ts';
import { Data } from './constructs/data.ts';
import { Events } from './constructs/events.ts';
import { Functions } from './constructs/functions.ts';
import { Logs } from './constructs/logs.ts';
import { Notifications } from './constructs/notifications.ts';
import { Operations } from './constructs/operations.ts';
import { Signing } from './constructs/signing.ts';

export type UrgentCarePlanStackProps = StackProps & { config: ServiceConfig };

/**
 * The whole service in one stack, one construct per concern (infra/constructs/):
 * data (table), logs (log groups and their key), audit archive (S3), notifications (SES),
 * signing (the service's own KMS signing key), events (stream and bus), functions (every Lambda),
 * api (REST API), operations (alarms and dashboard, AWS only). The LocalStack target is the same stack less what its free edition
 * does not serve (see infra/localstack.ts).
 */
export class UrgentCarePlanStack extends Stack {
  readonly config: ServiceConfig;
  readonly data: Data;
  readonly logs: Logs;
  readonly archive: AuditArchive;
  readonly notifications: Notifications;
  readonly signing: Signing;
  readonly events: Events;
  readonly functions: Functions;
  readonly api: Api;
  readonly operations: Operations | undefined;

  constructor(scope: Construct, id: string, props: UrgentCarePlanStackProps) {
    super(scope, id, {
      description: `Urgent care plans (${props.config.stage}, ${props.config.target}): API, table, events, audit archive`,
      ...props,
    });
    const { config } = props;
    this.config = config;
    Tags.of(this).add('service', 'urgent-care-plans');
    Tags.of(this).add('stage', config.stage);

    // Without configured issuers (a dev synth, e.g. in CI) the deploy must be given them.
    const trustedIssuers =
      config.trustedIssuers ??
      new CfnParameter(this, 'TrustedIssuers', {
        type: 'String',
        minLength: 2,
        description:
          'TRUSTED_ISSUERS: JSON array of {kind, issuer, audience, jwksUri}. Set -c trustedIssuers=... to build it in.',
      }).valueAsString;

    this.data = new Data(this, 'Data', { config });
    this.logs = new Logs(this, 'Logs', { config });
    this.archive = new AuditArchive(this, 'AuditArchive', { config });
    this.notifications = new Notifications(this, 'Notifications', { config });
    this.signing = new Signing(this, 'Signing', { config });
    this.events = new Events(this, 'Events', { config });
    this.functions = new Functions(this, 'Functions', {
      config,
      trustedIssuers,
      logs: this.logs,
      data: this.data,
      bus: this.events.bus,
      archive: this.archive,
      notifications: this.notifications,
      signing: this.signing,
    });
    this.events.connect(this.functions, this.data);
    this.api = new Api(this, 'Api', { config, functions: this.functions, logs: this.logs });
    this.functions.setServiceUrl(config.serviceUrl ?? this.api.url);
    this.functions.setApiUrl(this.api.baseUrl);
    this.operations =
      config.target === 'aws'
        ? new Operations(this, 'Operations', { config, functions: this.functions, api: this.api })
        : undefined;

    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output('ApiUrl', this.api.url, 'Base URL of the API (stage v1)');
    output('OpenApiUrl', `${this.api.url}openapi.json`, 'The OpenAPI 3.1 document, published by the API');
    output('ApiReferenceUrl', `${this.api.url}docs`, 'The API reference, to browse');
    output('TableName', this.data.table.tableName, 'The single table');
    output('EventBusName', this.events.bus.eventBusName, 'The bus partners subscribe to (events/README.md)');
    output('AuditBucketName', this.archive.bucket.bucketName, 'The audit archive (Object Lock)');
    output('ServiceKeysUrl', `${this.api.url}.well-known/jwks.json`, "The service's public signing keys");
    output('SenderAddress', this.notifications.senderAddress, 'The SES sending identity');
    if (this.operations) output('AlarmTopicArn', this.operations.topic.topicArn, 'Subscribe on-call here');
  }
}
