import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Annotations, Duration, Stack, Validations } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import {
  type BundlingOptions,
  Charset,
  LogLevel,
  NodejsFunction,
  OutputFormat,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct, type IConstruct } from 'constructs';
import {
  type ConsumerName,
  consumerFunctions,
  streamConsumers,
} from '../../functions/consumers/consumers.ts';
import { referenceFiles } from '../../functions/http/reference-files.ts';
import { type HttpFunctionName, httpFunctions, routes } from '../../functions/http/routes.ts';
import { env } from '../../functions/platform/config.ts';
import { table } from '../../functions/platform/table.ts';
import type { ServiceConfig } from '../config.ts';
import type { AuditArchive } from './audit-archive.ts';
import type { Data } from './data.ts';
import { type Logs, ServiceRole } from './logs.ts';
import type { Notifications } from './notifications.ts';
import { deadLetterQueue } from './queues.ts';
import type { Signing, SigningUse } from './signing.ts';

export type FunctionName = HttpFunctionName | ConsumerName;
export type TableAction = 'GetItem' | 'PutItem' | 'Query' | 'UpdateItem' | 'DeleteItem';

/** What one function's code touches; its role gets exactly this and its environment the names it needs. */
export type Uses = {
  /** DynamoDB actions on the table. */
  table?: readonly TableAction[];
  /** Indexes it queries (Query on just these). */
  indexes?: readonly string[];
  /** events:PutEvents on the service's bus (EVENT_BUS_NAME). */
  bus?: boolean;
  /** s3:PutObject under the archive's `audit/` prefix (AUDIT_BUCKET). */
  archive?: boolean;
  /** ses:SendEmail from the sender identity (SENDER_ADDRESS, SERVICE_URL). */
  mail?: boolean;
  /** Publishes or answers record-locator pointers: the custodian and the API's own URL (CUSTODIAN_ODS, API_URL); no AWS access. */
  pointers?: boolean;
  /** The service signing key: kms:Sign with it, or kms:GetPublicKey only (SIGNING_KEY_ID, PREVIOUS_SIGNING_KEYS). */
  signing?: SigningUse;
  /** Signs crisis summaries (with `signing: 'sign'`): how long they are valid (SIGNED_SUMMARY_HOURS). */
  signedSummaries?: boolean;
};

/**
 * Least privilege, read from the handlers and the adapters in functions/platform/store/. A function
 * added to routes.ts or consumers.ts gets no access until it has a line here (tsc insists).
 * Stream reads are granted where the stream is wired (Events), not here.
 */
export const uses = {
  meta: {},
  docs: {},
  // Every function that verifies tokens reads the service's own public keys: a launched session's
  // token is the service's (functions/platform/identity.ts).
  // Creates take an Idempotency-Key (functions/platform/idempotency.ts): its records are in the
  // same table, claimed with a conditional PutItem and released with DeleteItem.
  patients: { table: ['GetItem', 'PutItem', 'Query', 'DeleteItem'], signing: 'publicKeys' },
  planCommands: {
    table: ['GetItem', 'PutItem', 'Query', 'DeleteItem'],
    pointers: true,
    signing: 'publicKeys',
  },
  planReads: {
    table: ['GetItem', 'PutItem', 'Query'],
    indexes: [table.versionIndex.name, table.teamIndex.name],
    pointers: true,
    signing: 'publicKeys',
  },
  // A read outside the care team looks the patient up (GetItem) to answer 403 alike, enrolled or not.
  summary: { table: ['GetItem', 'Query', 'PutItem'], signing: 'sign', signedSummaries: true },
  organisations: { table: ['PutItem', 'Query'], signing: 'publicKeys' },
  hostSystems: { table: ['PutItem', 'Query'], signing: 'publicKeys' },
  // The search keys by the demographics index; the patient and plan of each match; its access record.
  patientSearch: {
    table: ['GetItem', 'PutItem', 'Query'],
    indexes: [table.searchIndex.name],
    signing: 'publicKeys',
  },
  // Reads projections only: outcome counters (table) and the review worklist (byOrganisation).
  reports: { table: ['Query'], indexes: [table.teamIndex.name], signing: 'publicKeys' },
  relay: { bus: true },
  // Outcome counters are added to (UpdateItem ADD), every other projection is put.
  projections: { table: ['GetItem', 'PutItem', 'UpdateItem'] },
  notifications: { table: ['GetItem', 'PutItem', 'DeleteItem', 'Query'], mail: true },
  auditArchive: { archive: true },
  // The host system's entry (Query), the assertion's jti and the launch's access record (PutItem).
  tokens: { table: ['Query', 'PutItem'], signing: 'sign' },
  // Reviews due (byOrganisation), the registry (Query), the reminder made once and its deliveries.
  reminders: {
    table: ['GetItem', 'PutItem', 'Query', 'DeleteItem'],
    indexes: [table.teamIndex.name],
    mail: true,
  },
} as const satisfies Record<FunctionName, Uses>;

export type FunctionsProps = {
  config: ServiceConfig;
  /** The JSON for TRUSTED_ISSUERS (or a deploy-time parameter holding it). */
  trustedIssuers: string;
  logs: Logs;
  data: Data;
  bus: IEventBus;
  archive: AuditArchive;
  notifications: Notifications;
  signing: Signing;
};

/** The repository root: entry paths in routes.ts and consumers.ts are relative to it. */
export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/** Packages that still call `require` need it inside an ES module bundle. */
const requireShim =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/** How every function is bundled: by the local esbuild, never Docker (bench/ builds its floors the same way). */
export const functionBundling: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node24',
  mainFields: ['module', 'main'],
  banner: requireShim,
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  bundleAwsSDK: true,
  externalModules: [],
  charset: Charset.UTF8,
  logLevel: LogLevel.ERROR,
  forceDockerBundling: false,
};

/**
 * Files a function reads at run time besides its bundle, as paths under node_modules: copied into
 * its asset at the same place, where they resolve as they do in the project.
 */
export const runtimeFiles: Partial<Record<FunctionName, readonly string[]>> = {
  docs: Object.values(referenceFiles),
};

const copyRuntimeFiles = (files: readonly string[]): BundlingOptions['commandHooks'] => ({
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: (inputDir, outputDir) =>
    files.map((file) => {
      const target = join(outputDir, 'node_modules', file);
      return `mkdir -p "${dirname(target)}" && cp "${join(inputDir, 'node_modules', file)}" "${target}"`;
    }),
});

/**
 * One Lambda function per entry of `httpFunctions` and `consumerFunctions`, all with the same
 * defaults: Node.js 24 on arm64, minified ESM bundles with source maps and the AWS SDK inside,
 * built by the local esbuild (never Docker), an encrypted log group with the configured
 * retention, Powertools settings, and a role of its own holding only what `uses` lists.
 */
export class Functions extends Construct {
  readonly byName: Record<FunctionName, NodejsFunction>;
  private readonly names: FunctionName[];

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const { config, logs } = props;
    const entries = { ...httpFunctions, ...consumerFunctions } as Record<FunctionName, string>;
    this.names = Object.keys(entries) as FunctionName[];
    const needsToken = new Set(routes.filter((r) => r.auth).map((r) => r.fn));
    const isHttp = (name: FunctionName): name is HttpFunctionName => Object.hasOwn(httpFunctions, name);
    const busConsumers = new Set(
      (Object.keys(consumerFunctions) as ConsumerName[]).filter((c) => !streamConsumers.includes(c)),
    );

    const made: Partial<Record<FunctionName, NodejsFunction>> = {};
    for (const name of this.names) {
      const scopeOf = new Construct(this, pascal(name));
      const access: Uses = (uses as Record<string, Uses>)[name] ?? {};
      if (!Object.hasOwn(uses, name)) {
        Annotations.of(scopeOf).addWarningV2(
          'ucp:no-permissions',
          `${name} has no entry in infra/constructs/functions.ts "uses": it gets no access to anything`,
        );
      }
      const role = new ServiceRole(scopeOf, 'Role', {
        assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
        description: `Urgent care plans (${config.stage}): the ${name} function`,
      });
      const logGroup = logs.group(scopeOf, 'Logs');
      const environment: Record<string, string> = {
        [env.POWERTOOLS_SERVICE_NAME]: 'urgent-care-plans',
        [env.POWERTOOLS_LOG_LEVEL]: config.logLevel,
        NODE_OPTIONS: '--enable-source-maps',
      };
      if (isHttp(name)) {
        environment[env.ALLOWED_ORIGINS] = config.allowedOrigins.join(',');
        if (needsToken.has(name)) environment[env.TRUSTED_ISSUERS] = props.trustedIssuers;
      }
      if (access.table) environment[env.TABLE_NAME] = props.data.table.tableName;
      if (access.bus) environment[env.EVENT_BUS_NAME] = props.bus.eventBusName;
      if (access.archive) environment[env.AUDIT_BUCKET] = props.archive.bucket.bucketName;
      if (access.mail) environment[env.SENDER_ADDRESS] = props.notifications.senderAddress;
      if (access.pointers) environment[env.CUSTODIAN_ODS] = config.custodianOds;
      if (access.signedSummaries) environment[env.SIGNED_SUMMARY_HOURS] = String(config.signedSummaryHours);
      if (access.signing) {
        environment[env.SIGNING_KEY_ID] = props.signing.key.keyArn;
        environment[env.SERVICE_IDENTIFIER] = config.serviceIdentifier;
        if (props.signing.previousKeyArns.length > 0)
          environment[env.PREVIOUS_SIGNING_KEYS] = props.signing.previousKeyArns.join(',');
      }

      const fn = new NodejsFunction(scopeOf, 'Function', {
        description: `Urgent care plans (${config.stage}): ${entries[name]}`,
        entry: join(projectRoot, entries[name]),
        handler: 'handler',
        projectRoot,
        depsLockFilePath: join(projectRoot, 'package-lock.json'),
        runtime: Runtime.NODEJS_24_X,
        architecture: Architecture.ARM_64,
        memorySize: isHttp(name) ? 1024 : 512,
        timeout: isHttp(name) ? Duration.seconds(15) : Duration.seconds(60),
        role,
        logGroup,
        environment,
        ...(busConsumers.has(name as ConsumerName) && {
          deadLetterQueue: deadLetterQueue(scopeOf, 'FailedInvocations'),
          retryAttempts: 2,
        }),
        bundling: {
          ...functionBundling,
          ...(runtimeFiles[name] && { commandHooks: copyRuntimeFiles(runtimeFiles[name]) }),
        },
      });
      logGroup.grantWrite(role);
      this.grant(fn, role, access, props);

      const cfn = fn.node.defaultChild as IConstruct;
      Validations.of(cfn).acknowledge(
        {
          id: 'HIPAA.Security-LambdaInsideVPC',
          reason:
            "The functions reach only AWS service endpoints (DynamoDB, EventBridge, S3, SES) over TLS with IAM, and the token issuers' public JWKS over HTTPS; there is no private resource to reach. A VPC would add NAT gateways or endpoints and cold-start latency without protecting any data path.",
        },
        {
          id: 'HIPAA.Security-LambdaConcurrency',
          reason:
            'Concurrency is bounded upstream: the API stage throttles (rate and burst from configuration), stream consumers run one batch per shard, and bus consumers are retried by EventBridge into a DLQ. A reserved cap per function would turn a surge of crisis-summary reads by ambulance crews into 429s, the opposite of what this service is for.',
        },
      );
      if (isHttp(name)) {
        Validations.of(cfn).acknowledge({
          id: 'HIPAA.Security-LambdaDLQ',
          reason:
            'Invoked synchronously by API Gateway: a failure goes back to the caller as problem+json and nothing is queued, so an asynchronous dead-letter queue would never receive a message.',
        });
      } else if (!busConsumers.has(name as ConsumerName)) {
        Validations.of(cfn).acknowledge({
          id: 'HIPAA.Security-LambdaDLQ',
          reason:
            "Invoked by the table stream's event source mapping, whose failed batches go to its own on-failure SQS destination (Events construct); Lambda's asynchronous DLQ is never used for stream invocations.",
        });
      }
      made[name] = fn;
    }
    this.byName = made as Record<FunctionName, NodejsFunction>;
  }

  /** Every function, with its name from routes.ts / consumers.ts. */
  entries(): [FunctionName, NodejsFunction][] {
    return this.names.map((name) => [name, this.byName[name]]);
  }

  /** Where notification messages point people (SERVICE_URL), once the API exists. */
  setServiceUrl(url: string): void {
    for (const name of this.names) {
      if ((uses as Record<string, Uses>)[name]?.mail) this.byName[name].addEnvironment(env.SERVICE_URL, url);
    }
  }

  /** The API's own base URL (API_URL), where record-locator pointers lead, once the API exists. */
  setApiUrl(url: string): void {
    for (const name of this.names) {
      if ((uses as Record<string, Uses>)[name]?.pointers) this.byName[name].addEnvironment(env.API_URL, url);
    }
  }

  private grant(fn: NodejsFunction, role: ServiceRole, access: Uses, props: FunctionsProps): void {
    const { data } = props;
    const region = Stack.of(this).region;
    if (access.table && access.table.length > 0) {
      role.addToPrincipalPolicy(
        new PolicyStatement({
          sid: 'Table',
          actions: access.table.map((a) => `dynamodb:${a}`),
          resources: [data.table.tableArn],
        }),
      );
      if (access.indexes && access.indexes.length > 0) {
        role.addToPrincipalPolicy(
          new PolicyStatement({
            sid: 'Indexes',
            actions: ['dynamodb:Query'],
            resources: access.indexes.map((index) => data.indexArn(index)),
          }),
        );
      }
      const writes = access.table.some((a) => a !== 'GetItem' && a !== 'Query');
      role.addToPrincipalPolicy(
        new PolicyStatement({
          sid: 'TableKey',
          actions: [
            'kms:Decrypt',
            'kms:DescribeKey',
            ...(writes ? ['kms:Encrypt', 'kms:GenerateDataKey'] : []),
          ],
          resources: [data.key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` } },
        }),
      );
    }
    if (access.bus) props.bus.grantPutEventsTo(fn);
    if (access.archive) props.archive.grantArchive(role);
    if (access.mail) props.notifications.grantSend(role);
    if (access.signing) props.signing.grant(role, access.signing);
  }
}
