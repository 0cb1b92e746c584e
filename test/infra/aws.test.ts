import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, inject, it } from 'vitest';
import { subscriptions } from '../../events/subscriptions.ts';
import { consumerFunctions, schedules, streamConsumers } from '../../functions/consumers/consumers.ts';
import { httpFunctions, routes } from '../../functions/http/routes.ts';
import { corsAllowHeaders, preflightHeaders } from '../../functions/platform/cors.ts';
import { table } from '../../functions/platform/table.ts';
import { type FunctionName, runtimeFiles, uses } from '../../infra/constructs/functions.ts';
import { apiEvent } from '../../local/api-gateway.ts';
import { citizenIssuer, type Json, logicalIdAt, staffIssuer } from './synth.ts';

// The AWS target with real bundling, synthesised once per run (test/infra/global-setup.ts) with
// the staff and citizen issuers, origins https://app.test and https://admin.test, and sender
// care-plans@nhs.test.
const shared = inject('awsSynth');
const synth = { ...shared, template: Template.fromJSON(shared.json) };

const allFunctions = { ...httpFunctions, ...consumerFunctions } as Record<FunctionName, string>;
const names = Object.keys(allFunctions) as FunctionName[];
const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);
const resources = (type: string) => Object.entries(synth.json.Resources).filter(([, r]) => r.Type === type);
const fnId = (name: string) => logicalIdAt(synth, `Functions/${pascal(name)}/Function`);
const fn = (name: string) => synth.json.Resources[fnId(name)] as { Properties: Json };
const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });

describe('data', () => {
  it('is one global table keyed pk/sk, with a stream of new images, PITR, TTL and a customer-managed key', () => {
    const keyId = logicalIdAt(synth, 'Data/Key');
    synth.template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    synth.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: table.partitionKey, KeyType: 'HASH' },
        { AttributeName: table.sortKey, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      TimeToLiveSpecification: { AttributeName: table.timeToLive, Enabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [
        Match.objectLike({
          Region: 'eu-west-2',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { KMSMasterKeyId: getAtt(keyId) },
        }),
      ],
    });
    synth.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('has the indexes functions/platform/table.ts names', () => {
    synth.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      LocalSecondaryIndexes: [
        Match.objectLike({
          IndexName: table.versionIndex.name,
          KeySchema: [
            { AttributeName: table.partitionKey, KeyType: 'HASH' },
            { AttributeName: table.versionIndex.sortKey, KeyType: 'RANGE' },
          ],
        }),
      ],
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: table.teamIndex.name,
          KeySchema: [
            { AttributeName: table.teamIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: table.teamIndex.sortKey, KeyType: 'RANGE' },
          ],
        }),
        Match.objectLike({
          IndexName: table.searchIndex.name,
          KeySchema: [
            { AttributeName: table.searchIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: table.searchIndex.sortKey, KeyType: 'RANGE' },
          ],
        }),
      ],
    });
  });

  it('may be destroyed in the dev stage (other stages are tested in config.test.ts)', () => {
    synth.template.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
  });
});

describe('the service signing key', () => {
  it('is an asymmetric KMS key for ES256, its private half never leaving KMS', () => {
    const key = synth.json.Resources[logicalIdAt(synth, 'Signing/Key')];
    expect(key?.Type).toBe('AWS::KMS::Key');
    expect(key?.Properties).toMatchObject({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    // Asymmetric keys cannot rotate in KMS: a new key replaces it (docs/design.md).
    expect(key?.Properties.EnableKeyRotation).toBeFalsy();
  });

  it('is named to the functions that use it, and only to them', () => {
    const keyArn = getAtt(logicalIdAt(synth, 'Signing/Key'));
    for (const name of names) {
      const variables = fn(name).Properties.Environment.Variables as Record<string, unknown>;
      const signs = Object.hasOwn(uses, name) && 'signing' in uses[name];
      expect(variables.SIGNING_KEY_ID, name).toEqual(signs ? keyArn : undefined);
      expect(variables.SERVICE_IDENTIFIER, name).toEqual(signs ? 'urgent-care-plans' : undefined);
      expect(variables.PREVIOUS_SIGNING_KEYS, name).toBeUndefined();
    }
  });
});

describe('functions', () => {
  it('makes one function per entry of httpFunctions and consumerFunctions', () => {
    expect(resources('AWS::Lambda::Function')).toHaveLength(names.length);
    for (const name of names) expect(() => fnId(name)).not.toThrow();
  });

  it.each(names)(
    '%s: Node.js 24 on arm64, an ESM bundle with source maps, its own encrypted log group',
    (name) => {
      const { Properties } = fn(name);
      expect(Properties.Runtime).toBe('nodejs24.x');
      expect(Properties.Architectures).toEqual(['arm64']);
      expect(Properties.Handler).toBe('index.handler');
      expect(Properties.Environment.Variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'urgent-care-plans',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
      const logsId = logicalIdAt(synth, `Functions/${pascal(name)}/Logs`);
      expect(Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logsId } });
      const logGroup = synth.json.Resources[logsId]?.Properties;
      expect(logGroup.RetentionInDays).toBe(30);
      expect(logGroup.KmsKeyId).toEqual(getAtt(logicalIdAt(synth, 'Logs/Key')));
    },
  );

  it('bundles each entry as a minified ES module, with the AWS SDK inside', async () => {
    const { readFileSync } = await import('node:fs');
    for (const name of names) {
      const asset = synth.json.Resources[fnId(name)]?.Metadata['aws:asset:path'];
      const code = readFileSync(`${synth.outdir}/${asset}/index.mjs`, 'utf8');
      expect(code.startsWith("import { createRequire } from 'node:module';")).toBe(true);
      expect(code).toMatch(/export\s*\{[^}]*as handler/);
      // Minified: long lines (a readable bundle averages well under 100 characters a line).
      expect(code.length / code.split('\n').length).toBeGreaterThan(1000);
      expect(readFileSync(`${synth.outdir}/${asset}/index.mjs.map`, 'utf8')).toContain('"mappings"');
      // Nothing left for the runtime to provide: the SDK version is the one in package-lock.json.
      expect(code).not.toMatch(/(from|import\()\s*["']@aws-sdk\//);
    }
    const relay = synth.json.Resources[fnId('relay')]?.Metadata['aws:asset:path'];
    expect(readFileSync(`${synth.outdir}/${relay}/index.mjs`, 'utf8')).toContain('AWSEvents');
  });

  it('gives the docs function Redoc in its asset, where its bundle finds it', async () => {
    const asset = `${synth.outdir}/${synth.json.Resources[fnId('docs')]?.Metadata['aws:asset:path']}`;
    for (const file of runtimeFiles.docs ?? []) {
      expect(existsSync(`${asset}/node_modules/${file}`), file).toBe(true);
    }
    // Read at run time, not bundled: the megabyte of script stays out of module init.
    expect(readFileSync(`${asset}/index.mjs`, 'utf8')).not.toContain('ReDoc - OpenAPI');
    // The bundle, alone in a fresh Node process outside the project, as Lambda runs it.
    const events = ['/docs', '/docs/redoc.standalone.js'].map((path) => apiEvent({ method: 'GET', path }));
    const run = `
      const { handler } = await import(${JSON.stringify(`${asset}/index.mjs`)});
      const answers = [];
      for (const event of ${JSON.stringify(events)}) {
        const res = await handler(event, {});
        answers.push({ status: res.statusCode, type: res.headers['Content-Type'], size: res.body.length });
      }
      process.stdout.write('\\n' + JSON.stringify(answers));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', run], {
      cwd: tmpdir(),
      env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-2' },
    });
    // The function logs a request line for each; the answers are the last line.
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '')).toEqual([
      { status: 200, type: 'text/html; charset=utf-8', size: expect.any(Number) },
      {
        status: 200,
        type: 'text/javascript; charset=utf-8',
        size: expect.toSatisfy((n: number) => n > 1_000_000),
      },
    ]);
  });

  it('gives each function the environment its code reads, and no more', () => {
    const env = (name: string) => fn(name).Properties.Environment.Variables as Record<string, unknown>;
    for (const name of Object.keys(httpFunctions)) {
      expect(env(name).ALLOWED_ORIGINS).toBe('https://app.test,https://admin.test');
      const authenticated = routes.some((r) => r.fn === name && r.auth);
      expect(Object.hasOwn(env(name), 'TRUSTED_ISSUERS')).toBe(authenticated);
    }
    expect(JSON.parse(env('patients').TRUSTED_ISSUERS as string)).toEqual([staffIssuer, citizenIssuer]);
    expect(env('meta').TABLE_NAME).toBeUndefined();
    expect(env('planReads').TABLE_NAME).toEqual({ Ref: logicalIdAt(synth, 'Data/Table') });
    expect(env('relay')).toMatchObject({ EVENT_BUS_NAME: { Ref: logicalIdAt(synth, 'Events/Bus') } });
    expect(env('relay').TABLE_NAME).toBeUndefined();
    expect(env('auditArchive')).toMatchObject({
      AUDIT_BUCKET: { Ref: logicalIdAt(synth, 'AuditArchive/Bucket') },
    });
    expect(env('notifications')).toMatchObject({
      SENDER_ADDRESS: 'care-plans@nhs.test',
      SERVICE_URL: expect.objectContaining({ 'Fn::Join': expect.any(Array) }),
      TABLE_NAME: expect.any(Object),
    });
    // Record-locator pointers: the custodian, and the API's URL from its id (its stage URL would be circular).
    for (const name of Object.keys(httpFunctions)) {
      const pointers = name === 'planCommands' || name === 'planReads';
      expect(Object.hasOwn(env(name), 'CUSTODIAN_ODS'), name).toBe(pointers);
      expect(Object.hasOwn(env(name), 'API_URL'), name).toBe(pointers);
    }
    expect(env('planReads').CUSTODIAN_ODS).toBe('UCPDEV');
    // Only the function that signs crisis summaries knows their lifetime (the token function signs too).
    for (const name of names)
      expect(env(name).SIGNED_SUMMARY_HOURS, name).toBe(name === 'summary' ? '24' : undefined);
    expect(JSON.stringify(env('planCommands').API_URL)).toContain(logicalIdAt(synth, 'Api/RestApi'));
  });

  /** Every statement of a function's policy, as `action on resource` lines, with tokens abbreviated. */
  const grants = (name: string): string[] => {
    const policyId = logicalIdAt(synth, `Functions/${pascal(name)}/Role/Policy`);
    const policy = synth.json.Resources[policyId]?.Properties;
    expect(policy.Roles).toEqual([{ Ref: logicalIdAt(synth, `Functions/${pascal(name)}/Role`) }]);
    const label = (resource: unknown): string => {
      const text = JSON.stringify(resource);
      if (text.includes('StreamArn')) return 'table stream';
      if (text.includes('/index/')) return `index ${text.match(/\/index\/(\w+)/)?.[1]}`;
      if (text.includes('/audit/*')) return 'archive audit/*';
      if (text.includes(':identity/')) return 'sender identity';
      const id = (resource as { 'Fn::GetAtt'?: [string] })['Fn::GetAtt']?.[0] ?? text;
      const at = Object.entries(synth.json.Resources).find(([logicalId]) => logicalId === id)?.[1];
      return at ? at.Metadata['aws:cdk:path'].split('/').slice(1, -1).join('/') : text;
    };
    return policy.PolicyDocument.Statement.flatMap(
      (s: { Effect: string; Action: string | string[]; Resource: unknown }) => {
        expect(s.Effect).toBe('Allow');
        return [s.Action]
          .flat()
          .flatMap((action) => [s.Resource].flat().map((resource) => `${action} on ${label(resource)}`));
      },
    ).sort();
  };
  const logs = (name: string) => [
    `logs:CreateLogStream on Functions/${pascal(name)}/Logs`,
    `logs:PutLogEvents on Functions/${pascal(name)}/Logs`,
  ];
  const tableKey = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'].map(
    (a) => `${a} on Data/Key`,
  );
  const onTable = (...actions: string[]) => actions.map((a) => `dynamodb:${a} on Data/Table`);
  const stream = (name: string) => [
    'dynamodb:DescribeStream on table stream',
    'dynamodb:GetRecords on table stream',
    'dynamodb:GetShardIterator on table stream',
    'kms:Decrypt on Data/Key',
    ...['GetQueueAttributes', 'GetQueueUrl', 'SendMessage'].map(
      (a) => `sqs:${a} on Events/${pascal(name)}StreamFailures`,
    ),
  ];
  const publicKeys = ['kms:GetPublicKey on Signing/Key'];
  const failedInvocations = (name: string) => [
    `sqs:SendMessage on Functions/${pascal(name)}/FailedInvocations`,
  ];
  const expected: Record<FunctionName, string[]> = {
    meta: logs('meta'),
    docs: logs('docs'),
    patients: [
      ...logs('patients'),
      ...onTable('DeleteItem', 'GetItem', 'PutItem', 'Query'),
      ...tableKey,
      ...publicKeys,
    ],
    planCommands: [
      ...logs('planCommands'),
      ...onTable('DeleteItem', 'GetItem', 'PutItem', 'Query'),
      ...tableKey,
      ...publicKeys,
    ],
    planReads: [
      ...logs('planReads'),
      ...onTable('GetItem', 'PutItem', 'Query'),
      `dynamodb:Query on index ${table.versionIndex.name}`,
      `dynamodb:Query on index ${table.teamIndex.name}`,
      ...tableKey,
      ...publicKeys,
    ],
    summary: [
      ...logs('summary'),
      ...onTable('GetItem', 'PutItem', 'Query'),
      ...tableKey,
      ...publicKeys,
      'kms:Sign on Signing/Key',
    ],
    organisations: [...logs('organisations'), ...onTable('PutItem', 'Query'), ...tableKey, ...publicKeys],
    patientSearch: [
      ...logs('patientSearch'),
      ...onTable('GetItem', 'PutItem', 'Query'),
      `dynamodb:Query on index ${table.searchIndex.name}`,
      ...tableKey,
      ...publicKeys,
    ],
    reports: [
      ...logs('reports'),
      ...onTable('Query'),
      `dynamodb:Query on index ${table.teamIndex.name}`,
      // Reads only: no key to encrypt with.
      'kms:Decrypt on Data/Key',
      'kms:DescribeKey on Data/Key',
      ...publicKeys,
    ],
    relay: [...logs('relay'), 'events:PutEvents on Events/Bus', ...stream('relay')],
    projections: [
      ...logs('projections'),
      ...onTable('GetItem', 'PutItem', 'UpdateItem'),
      ...tableKey,
      ...stream('projections'),
    ],
    notifications: [
      ...logs('notifications'),
      ...onTable('DeleteItem', 'GetItem', 'PutItem', 'Query'),
      ...tableKey,
      'ses:SendEmail on sender identity',
      ...failedInvocations('notifications'),
    ],
    auditArchive: [
      ...logs('auditArchive'),
      's3:PutObject on archive audit/*',
      'kms:GenerateDataKey on AuditArchive/Key',
      ...failedInvocations('auditArchive'),
    ],
    tokens: [
      ...logs('tokens'),
      ...onTable('PutItem', 'Query'),
      ...tableKey,
      'kms:GetPublicKey on Signing/Key',
      'kms:Sign on Signing/Key',
    ],
    hostSystems: [...logs('hostSystems'), ...onTable('PutItem', 'Query'), ...tableKey, ...publicKeys],
    reminders: [
      ...logs('reminders'),
      ...onTable('DeleteItem', 'GetItem', 'PutItem', 'Query'),
      `dynamodb:Query on index ${table.teamIndex.name}`,
      ...tableKey,
      'ses:SendEmail on sender identity',
      ...failedInvocations('reminders'),
    ],
  };

  it.each(names)('%s: its role holds exactly what its code uses', (name) => {
    expect(grants(name)).toEqual(
      [...(expected[name] ?? ['no expectation written for this function'])].sort(),
    );
  });

  it('uses no AWS managed policy, no inline policy and no wildcard action or resource for any function', () => {
    expect(resources('AWS::IAM::Policy')).toEqual([]);
    for (const name of names) {
      const role = synth.json.Resources[logicalIdAt(synth, `Functions/${pascal(name)}/Role`)]?.Properties;
      expect(role.ManagedPolicyArns).toBeUndefined();
      expect(role.Policies).toBeUndefined();
      for (const line of grants(name)) expect(line).not.toMatch(/:\*| on \*$|"\*"/);
    }
  });

  it('keys table access to the DynamoDB and S3 endpoints, and email to the sender address', () => {
    const policy = (name: string) =>
      synth.json.Resources[logicalIdAt(synth, `Functions/${pascal(name)}/Role/Policy`)]?.Properties
        .PolicyDocument.Statement as { Sid?: string; Condition?: unknown }[];
    expect(policy('patients').find((s) => s.Sid === 'TableKey')?.Condition).toEqual({
      StringEquals: { 'kms:ViaService': 'dynamodb.eu-west-2.amazonaws.com' },
    });
    expect(policy('auditArchive').find((s) => s.Sid === 'ArchiveKey')?.Condition).toEqual({
      StringEquals: { 'kms:ViaService': 's3.eu-west-2.amazonaws.com' },
    });
    expect(policy('notifications').find((s) => s.Sid === 'SendFromSender')?.Condition).toEqual({
      StringEquals: { 'ses:FromAddress': 'care-plans@nhs.test' },
    });
  });
});

describe('api', () => {
  /** Full path of each API Gateway resource, from its PathPart and parents. */
  const paths = (): Map<string, string> => {
    const byId = new Map(resources('AWS::ApiGateway::Resource'));
    const apiId = logicalIdAt(synth, 'Api/RestApi');
    const pathOf = (id: string): string => {
      const r = byId.get(id);
      if (!r) throw new Error(`no resource ${id}`);
      const parent = r.Properties.ParentId;
      const prefix = parent['Fn::GetAtt']?.[0] === apiId ? '' : pathOf(parent.Ref);
      return `${prefix}/${r.Properties.PathPart}`;
    };
    return new Map([...byId.keys()].map((id) => [pathOf(id), id]));
  };
  const method = (httpMethod: string, path: string) => {
    const resourceId = paths().get(path);
    const found = resources('AWS::ApiGateway::Method').filter(
      ([, m]) => m.Properties.HttpMethod === httpMethod && m.Properties.ResourceId.Ref === resourceId,
    );
    expect(found, `${httpMethod} ${path}`).toHaveLength(1);
    return (found[0] as [string, { Properties: Json }])[1].Properties;
  };

  it.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s has a method proxied to the function that serves it',
    (_, route) => {
      const m = method(route.method, route.path);
      expect(m.AuthorizationType).toBe('NONE');
      expect(m.Integration.Type).toBe('AWS_PROXY');
      expect(m.Integration.IntegrationHttpMethod).toBe('POST');
      expect(JSON.stringify(m.Integration.Uri)).toContain(JSON.stringify(getAtt(fnId(route.fn))));
      for (const [, parameter] of route.path.matchAll(/\{([^}]+)\}/g)) {
        expect(m.RequestParameters[`method.request.path.${parameter}`]).toBe(true);
      }
    },
  );

  it('has no method that routes.ts does not list, besides CORS preflights', () => {
    const methods = resources('AWS::ApiGateway::Method').filter(
      ([, m]) => m.Properties.HttpMethod !== 'OPTIONS',
    );
    expect(methods).toHaveLength(routes.length);
  });

  it('lets API Gateway invoke each HTTP function only for its own methods', () => {
    for (const route of routes) {
      const permission = resources('AWS::Lambda::Permission').find(
        ([, p]) =>
          JSON.stringify(p.Properties.FunctionName).includes(fnId(route.fn)) &&
          JSON.stringify(p.Properties.SourceArn).includes(
            `/${route.method}${route.path.replace(/\{[^}]+\}/g, '*')}"`,
          ),
      );
      expect(permission, `${route.method} ${route.path}`).toBeDefined();
    }
  });

  it('publishes the OpenAPI document without a token, from the meta function', () => {
    const m = method('GET', '/openapi.json');
    expect(JSON.stringify(m.Integration.Uri)).toContain(fnId('meta'));
    expect(JSON.stringify(synth.json.Outputs.OpenApiUrl.Value)).toMatch(/\/openapi\.json"\]\]\}$/);
  });

  it('throttles the stage, logs access without paths or bodies, and keeps request URLs out of X-Ray', () => {
    const stage = resources('AWS::ApiGateway::Stage')[0]?.[1].Properties;
    expect(stage.StageName).toBe('v1');
    // No stage tracing: X-Ray would keep each request's URL, and every URL names a patient.
    expect(stage.TracingEnabled).toBe(false);
    expect(stage.MethodSettings).toEqual([
      expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: 50,
        ThrottlingBurstLimit: 100,
        LoggingLevel: 'ERROR',
        DataTraceEnabled: false,
        MetricsEnabled: true,
      }),
    ]);
    expect(JSON.stringify(stage.AccessLogSetting.DestinationArn)).toContain(
      logicalIdAt(synth, 'Api/AccessLogs'),
    );
    expect(stage.AccessLogSetting.Format).toContain('$context.resourcePath');
    expect(stage.AccessLogSetting.Format).not.toMatch(/\$context\.path\b|requestOverride|\$input/);
  });

  it('answers CORS preflights for the configured origins only, with the headers the functions allow', () => {
    const preflight = method('OPTIONS', '/patients/{nhs}/plan');
    const response = preflight.Integration.IntegrationResponses[0];
    expect(response.ResponseParameters['method.response.header.Access-Control-Allow-Origin']).toBe(
      "'https://app.test'",
    );
    expect(response.ResponseParameters['method.response.header.Access-Control-Allow-Headers']).toBe(
      `'${corsAllowHeaders.join(',')}'`,
    );
    expect(JSON.stringify(response.ResponseTemplates)).toContain('https://admin.test');
    // The one-machine runtime answers preflights with these same headers.
    expect(response.StatusCode).toBe('204');
    const local = preflightHeaders(undefined, ['https://app.test', 'https://admin.test']);
    expect(
      Object.fromEntries(
        Object.entries(response.ResponseParameters as Record<string, string>).map(([key, value]) => [
          key.replace('method.response.header.', ''),
          value.slice(1, -1),
        ]),
      ),
    ).toEqual(local);
  });

  it('answers its own errors as problem+json, an unknown route as 404', () => {
    synth.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
      StatusCode: '404',
      ResponseParameters: { 'gatewayresponse.header.Content-Type': "'application/problem+json'" },
    });
    synth.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'THROTTLED',
      StatusCode: '429',
    });
  });

  it('sits behind a WAF web ACL whose log redacts tokens and paths', () => {
    synth.template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    synth.template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: [{ SingleHeader: { Name: 'authorization' } }, { UriPath: {} }, { QueryString: {} }],
    });
  });
});

describe('events', () => {
  it('has one bus and an archive of its events to replay', () => {
    synth.template.hasResourceProperties('AWS::Events::EventBus', { Name: 'urgent-care-plans-dev' });
    synth.template.hasResourceProperties('AWS::Events::Archive', {
      EventPattern: { source: ['urgent-care-plans'] },
      RetentionDays: 365,
    });
  });

  it.each(subscriptions.map((s) => [s.id, s] as const))(
    '%s: one rule with the pattern of events/subscriptions.ts, to its consumer, with a DLQ',
    (id, subscription) => {
      const rule = synth.json.Resources[logicalIdAt(synth, `Events/${id}`)]?.Properties;
      expect(rule.EventBusName).toEqual({ Ref: logicalIdAt(synth, 'Events/Bus') });
      expect(rule.EventPattern).toEqual(subscription.pattern);
      expect(rule.Targets).toEqual([
        expect.objectContaining({
          Arn: getAtt(fnId(subscription.consumer)),
          DeadLetterConfig: { Arn: getAtt(logicalIdAt(synth, `Events/${id}DeadLetters`)) },
          RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
        }),
      ]);
    },
  );

  it.each(schedules.map((s) => [s.id, s] as const))(
    '%s: a scheduled rule on the default bus, to its consumer, with a DLQ',
    (id, schedule) => {
      const rule = synth.json.Resources[logicalIdAt(synth, `Events/${id}`)]?.Properties;
      expect(rule.EventBusName).toBeUndefined();
      expect(rule.ScheduleExpression).toBe(`cron(${schedule.cron.minute} ${schedule.cron.hour} * * ? *)`);
      expect(rule.State).toBe('ENABLED');
      expect(rule.Targets).toEqual([
        expect.objectContaining({
          Arn: getAtt(fnId(schedule.consumer)),
          DeadLetterConfig: { Arn: getAtt(logicalIdAt(synth, `Events/${id}DeadLetters`)) },
          RetryPolicy: { MaximumEventAgeInSeconds: 21600, MaximumRetryAttempts: 2 },
        }),
      ]);
      synth.template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        FunctionName: getAtt(fnId(schedule.consumer)),
        Principal: 'events.amazonaws.com',
        SourceArn: getAtt(logicalIdAt(synth, `Events/${id}`)),
      });
    },
  );

  it('has exactly one rule per subscription and per schedule', () => {
    expect(resources('AWS::Events::Rule')).toHaveLength(subscriptions.length + schedules.length);
  });

  it.each([...streamConsumers])('%s reads new items from the table stream, failures to a DLQ', (name) => {
    synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fnId(name) },
      EventSourceArn: getAtt(logicalIdAt(synth, 'Data/Table'), 'StreamArn'),
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'] }) }] },
      DestinationConfig: {
        OnFailure: { Destination: getAtt(logicalIdAt(synth, `Events/${pascal(name)}StreamFailures`)) },
      },
    });
  });

  it('gives each bus consumer an asynchronous-invocation DLQ too', () => {
    const busConsumers = Object.keys(consumerFunctions).filter(
      (c) => !(streamConsumers as readonly string[]).includes(c),
    );
    for (const name of busConsumers) {
      expect(fn(name).Properties.DeadLetterConfig).toEqual({
        TargetArn: getAtt(logicalIdAt(synth, `Functions/${pascal(name)}/FailedInvocations`)),
      });
    }
  });

  it('encrypts every queue and refuses plain HTTP to it', () => {
    const queues = resources('AWS::SQS::Queue');
    const busConsumers = Object.keys(consumerFunctions).length - streamConsumers.length;
    // A DLQ per rule target and stream mapping, and each bus or scheduled consumer's own.
    expect(queues).toHaveLength(
      subscriptions.length + schedules.length + streamConsumers.length + busConsumers,
    );
    for (const [, queue] of queues) {
      expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    }
    synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('audit archive', () => {
  const bucket = () => synth.json.Resources[logicalIdAt(synth, 'AuditArchive/Bucket')]?.Properties;

  it('locks every object for the configured retention, keeps versions, and is retained', () => {
    expect(bucket().ObjectLockEnabled).toBe(true);
    expect(bucket().ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 2922 } },
    });
    expect(bucket().VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(synth.json.Resources[logicalIdAt(synth, 'AuditArchive/Bucket')]?.DeletionPolicy).toBe('Retain');
  });

  it('encrypts with its own customer-managed key, is never public, and refuses plain HTTP', () => {
    expect(bucket().BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      {
        BucketKeyEnabled: true,
        ServerSideEncryptionByDefault: {
          SSEAlgorithm: 'aws:kms',
          KMSMasterKeyID: getAtt(logicalIdAt(synth, 'AuditArchive/Key')),
        },
      },
    ]);
    expect(bucket().PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const policy = synth.json.Resources[logicalIdAt(synth, 'AuditArchive/Bucket/Policy')]?.Properties;
    expect(policy.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
      ]),
    );
  });

  it('moves objects to colder storage as they age, and logs access to a second bucket', () => {
    expect(bucket().LifecycleConfiguration.Rules[0].Transitions).toEqual([
      { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
      { StorageClass: 'GLACIER_IR', TransitionInDays: 90 },
      { StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 365 },
    ]);
    expect(bucket().LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logicalIdAt(synth, 'AuditArchive/AccessLogs') },
      LogFilePrefix: 'audit-archive/',
    });
  });
});

describe('notifications', () => {
  it('creates the SES identity of the configured sender', () => {
    synth.template.resourceCountIs('AWS::SES::EmailIdentity', 1);
    synth.template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'care-plans@nhs.test' });
  });
});

describe('operations', () => {
  const alarms = () => resources('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);

  it('alarms on every function’s errors and throttles', () => {
    for (const name of names) {
      for (const metric of ['Errors', 'Throttles']) {
        expect(
          alarms().some(
            (a) =>
              a.MetricName === metric &&
              JSON.stringify(a.Dimensions).includes(fnId(name)) &&
              a.Threshold === 1,
          ),
          `${name} ${metric}`,
        ).toBe(true);
      }
    }
  });

  it('alarms on the depth of every queue, on API 5xx and on p99 latency', () => {
    for (const [queueId] of resources('AWS::SQS::Queue')) {
      expect(
        alarms().some(
          (a) =>
            a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
            JSON.stringify(a.Dimensions).includes(queueId),
        ),
        queueId,
      ).toBe(true);
    }
    expect(alarms().some((a) => a.MetricName === '5XXError' && a.Threshold === 1)).toBe(true);
    expect(alarms().some((a) => a.MetricName === 'Latency' && a.ExtendedStatistic === 'p99')).toBe(true);
  });

  it('sends every alarm to one encrypted topic, and has a dashboard', () => {
    const topicId = logicalIdAt(synth, 'Operations/Alarms');
    for (const alarm of alarms()) expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
    synth.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    synth.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('cdk-nag', () => {
  it('leaves no finding of the AWS Solutions or HIPAA Security packs open', () => {
    expect(synth.openFindings).toEqual([]);
  });

  it('gives every acknowledgement a reason a reviewer can weigh', () => {
    const acks = synth.acknowledgements;
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id).toMatch(/^(AwsSolutions|HIPAA\.Security)-/);
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThan(80);
    }
  });
});
