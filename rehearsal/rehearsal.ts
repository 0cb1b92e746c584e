import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync, cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createLogger } from '../functions/platform/logger.ts';
import { ensureDevIssuer } from '../local/dev-issuer.ts';
import { localDynamoClientConfig, startDynamo } from '../local/dynamo.ts';
import { folderMailer } from '../local/outbox.ts';
import { type GatewayRoute, gatewayFor, type Handler, listenGateway } from '../local/runtime.ts';
import { startS3 } from '../local/s3.ts';
import {
  type BucketInfo,
  type PutEventsEntry,
  type StreamChange,
  startAwsEndpoint,
  type TableInfo,
} from './aws.ts';
import { matchesPattern } from './event-pattern.ts';
import { type AwsCall, type Caller, type CallRecord, IamProof } from './iam.ts';
import { SigningKeys } from './kms.ts';
import { type LambdaFunction, LambdaService } from './lambda.ts';
import {
  account,
  type Json,
  ofType,
  type ResolvedStack,
  readAssembly,
  resolveStack,
  TemplateError,
} from './template.ts';

/**
 * The synthesised stack, rehearsed on one machine: the template's API Gateway methods answer by
 * invoking the bundled assets of their functions (lambda.ts), the table's stream feeds the event
 * source mappings (with their filters, batch sizes, partial-batch responses, retries and failure
 * destinations), the template's EventBridge rules route the events the functions put (their
 * patterns, targets, retry policies and dead-letter queues), its scheduled rules fire on demand
 * (`fireSchedules`, and once more at close, so each scheduled target runs under the proof), and
 * every AWS call, the functions' and AWS's on their behalf, is authorised by the IAM proof
 * (iam.ts) against the template's policies. Retries happen at once rather than after AWS's back-off.
 */

export type RehearsalOptions = {
  /** The cloud assembly: `cdk.out` or `cdk.out/localstack`. */
  assemblyDir: string;
  dataDir: string;
  port?: number;
  /** Template parameters, e.g. TrustedIssuers. */
  parameters?: Record<string, string>;
  /** Appends what this rehearsal saw (one JSON line) here at close, to be reported with others'. */
  recordFile?: string;
};

/** What went wrong that no HTTP answer shows: the rehearsal fails on these. */
export type Findings = {
  denials: { caller: string; action: string; resource: string; via: string; result: string }[];
  /** Events or records that reached a dead-letter queue or failure destination, or were lost. */
  deadLetters: { where: string; why: string }[];
  unsupported: string[];
  /** Lines functions logged at ERROR and errors they threw (ids and error names, never patient data). */
  functionErrors: { function: string; line: string }[];
};

export type RehearsalRecord = Findings & { records: CallRecord[]; functionsByRole: [string, string][] };

export type Rehearsal = {
  url: string;
  archive: { endpoint: string; bucket: string };
  stack: ResolvedStack;
  iam: IamProof;
  /** The template's KMS signing keys, made for this rehearsal. */
  kms: SigningKeys;
  findings(): Findings;
  /** Fires every scheduled rule once, as its schedule would: each target gets EventBridge's scheduled event. */
  fireSchedules(): Promise<void>;
  functionsByRole(): Map<string, string>;
  settled(): Promise<void>;
  close(): Promise<void>;
};

type Rule = {
  logicalId: string;
  arn: string;
  busArn: string;
  pattern: Json | undefined;
  schedule: string | undefined;
  targets: Json[];
};

type Mapping = {
  logicalId: string;
  fn: LambdaFunction;
  sourceArn: string;
  batchSize: number;
  filters: Json[];
  reportsItemFailures: boolean;
  maxRetries: number;
  bisect: boolean;
  onFailure: string | undefined;
  queue: Json[];
  running: boolean;
};

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

const accessKeyOf = (name: string) =>
  `ASIA${createHash('sha256').update(name).digest('hex').slice(0, 16).toUpperCase()}`;

async function createTable(client: DynamoDBClient, name: string, props: Json): Promise<void> {
  const indexes = (list: Json[] | undefined) =>
    list?.length
      ? list.map((i: Json) => ({
          IndexName: i.IndexName,
          KeySchema: i.KeySchema,
          Projection: i.Projection ?? { ProjectionType: 'ALL' },
        }))
      : undefined;
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: props.AttributeDefinitions,
      KeySchema: props.KeySchema,
      LocalSecondaryIndexes: indexes(props.LocalSecondaryIndexes),
      GlobalSecondaryIndexes: indexes(props.GlobalSecondaryIndexes),
    }),
  );
  for (let i = 0; i < 500; i += 1) {
    const { Table: t } = await client.send(new DescribeTableCommand({ TableName: name }));
    if (
      t?.TableStatus === 'ACTIVE' &&
      (t.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE')
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`table ${name} did not become ACTIVE`);
}

/** The KMS key a table's items are encrypted with, when it is a customer-managed one. */
const tableKeyOf = (props: Json, region: string): string | undefined => {
  if (props.SSESpecification?.KMSMasterKeyId) return props.SSESpecification.KMSMasterKeyId;
  const replica =
    asList<Json>(props.Replicas).find((r) => r.Region === region) ?? asList<Json>(props.Replicas)[0];
  return replica?.SSESpecification?.KMSMasterKeyId;
};

export async function startRehearsal(options: RehearsalOptions): Promise<Rehearsal> {
  const stack = resolveStack(readAssembly(options.assemblyDir), options.parameters);
  const { region } = stack;
  mkdirSync(options.dataDir, { recursive: true });
  const iam = new IamProof(stack);
  const findings: Findings = { denials: [], deadLetters: [], unsupported: [], functionErrors: [] };
  const work = new Set<Promise<unknown>>();
  const track = <T>(promise: Promise<T>): Promise<T> => {
    work.add(promise);
    promise.finally(() => work.delete(promise)).catch(() => undefined);
    return promise;
  };
  const authorize = async (call: AwsCall): Promise<boolean> => (await iam.authorize(call)).allowed;

  // Functions: their assets, environments and roles, from the template.
  const functions = new Map<string, LambdaFunction>();
  for (const [id, resource] of ofType(stack, 'AWS::Lambda::Function')) {
    const p = resource.Properties ?? {};
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string')
      throw new TemplateError(`${id}: no asset in the cloud assembly (inline code is not rehearsed)`);
    const name = stack.refOf(id);
    const logGroupName = p.LoggingConfig?.LogGroup ?? `/aws/lambda/${name}`;
    functions.set(name, {
      logicalId: id,
      name,
      arn: stack.attributeOf(id, 'Arn'),
      roleArn: p.Role,
      assetDir: join(options.assemblyDir, assetPath),
      handler: p.Handler,
      runtime: p.Runtime,
      environment: Object.fromEntries(
        Object.entries((p.Environment?.Variables ?? {}) as Record<string, unknown>).map(([k, v]) => [
          k,
          String(v),
        ]),
      ),
      timeoutSeconds: Number(p.Timeout ?? 3),
      memoryMb: Number(p.MemorySize ?? 128),
      logGroupName,
      logGroupArn: `arn:aws:logs:${region}:${account}:log-group:${logGroupName}`,
    });
  }
  const functionByArnOrName = (value: string) =>
    functions.get(value) ??
    [...functions.values()].find((f) => f.arn === value || value.startsWith(`${f.arn}:`));
  const roleCaller = (fn: LambdaFunction): Caller & { kind: 'role' } => ({
    kind: 'role',
    function: fn.name,
    roleArn: fn.roleArn,
  });
  const callers = new Map([...functions.values()].map((fn) => [accessKeyOf(fn.name), roleCaller(fn)]));

  // EventBridge: the template's buses and rules, checked before anything starts.
  const buses = new Map<string, string>([
    ['default', `arn:aws:events:${region}:${account}:event-bus/default`],
  ]);
  for (const [id] of ofType(stack, 'AWS::Events::EventBus'))
    buses.set(stack.refOf(id), stack.attributeOf(id, 'Arn'));
  const rules: Rule[] = ofType(stack, 'AWS::Events::Rule')
    .filter(([, r]) => (r.Properties?.State ?? 'ENABLED') === 'ENABLED')
    .map(([id, r]) => {
      const p = r.Properties ?? {};
      const busName = String(p.EventBusName ?? 'default').replace(
        /^arn:aws:events:[^:]*:[^:]*:event-bus\//,
        '',
      );
      if (p.ScheduleExpression !== undefined) {
        const problem = scheduleProblem(String(p.ScheduleExpression));
        if (problem) throw new TemplateError(`${id}: ScheduleExpression ${p.ScheduleExpression}: ${problem}`);
        if (busName !== 'default')
          throw new TemplateError(`${id}: a ScheduleExpression is supported only on the default event bus`);
      }
      return {
        logicalId: id,
        arn: stack.attributeOf(id, 'Arn'),
        busArn: buses.get(busName) ?? '',
        pattern: typeof p.EventPattern === 'string' ? JSON.parse(p.EventPattern) : p.EventPattern,
        schedule: p.ScheduleExpression,
        targets: asList<Json>(p.Targets),
      };
    });

  // Data: the tables (dynalite) and buckets (s3rver) the template declares.
  const dynamo = await startDynamo();
  const admin = new DynamoDBClient(localDynamoClientConfig(dynamo.endpoint));
  const tables: (TableInfo & { streamArn: string | undefined })[] = [];
  for (const [id, resource] of [
    ...ofType(stack, 'AWS::DynamoDB::Table'),
    ...ofType(stack, 'AWS::DynamoDB::GlobalTable'),
  ]) {
    const p = resource.Properties ?? {};
    const name = stack.refOf(id);
    await createTable(admin, name, p);
    const streamViewType = p.StreamSpecification?.StreamViewType;
    tables.push({
      name,
      arn: stack.attributeOf(id, 'Arn'),
      keyNames: asList<Json>(p.KeySchema).map((k) => k.AttributeName),
      keyArn: p.SSESpecification?.SSEEnabled === false ? undefined : tableKeyOf(p, region),
      streamViewType,
      streamArn: streamViewType ? stack.attributeOf(id, 'StreamArn') : undefined,
    });
  }
  admin.destroy();
  const buckets: BucketInfo[] = ofType(stack, 'AWS::S3::Bucket').map(([id, resource]) => {
    const byDefault = asList<Json>(
      resource.Properties?.BucketEncryption?.ServerSideEncryptionConfiguration,
    )[0]?.ServerSideEncryptionByDefault;
    return {
      name: stack.refOf(id),
      arn: stack.attributeOf(id, 'Arn'),
      keyArn: byDefault?.SSEAlgorithm === 'aws:kms' ? byDefault.KMSMasterKeyID : undefined,
    };
  });
  const s3 = await startS3({ directory: join(options.dataDir, 's3'), buckets: buckets.map((b) => b.name) });

  // Dead letters: every queue message the rehearsal sends is kept, and fails the rehearsal.
  const deadLetter = async (caller: Caller, queueArn: string | undefined, where: string, why: string) => {
    if (!queueArn) {
      findings.deadLetters.push({ where, why: `${why}; lost: no dead-letter queue` });
      return;
    }
    const allowed = await authorize({
      caller,
      action: 'sqs:SendMessage',
      resource: queueArn,
      via: `dead letter from ${where}`,
    });
    findings.deadLetters.push({
      where,
      why: `${why}; ${allowed ? `sent to ${queueArn}` : `lost: sending to ${queueArn} was denied`}`,
    });
  };

  // Lambda: asynchronous invocations (EventBridge's) retry, then go to the failure destination.
  const invokeConfig = new Map<string, Json>();
  for (const [, resource] of ofType(stack, 'AWS::Lambda::EventInvokeConfig')) {
    const fn = functionByArnOrName(String(resource.Properties?.FunctionName));
    if (fn) invokeConfig.set(fn.name, resource.Properties);
  }
  // A function's logging, checked against its role on its own stream (reported for all its streams).
  const logStreamAccess = (action: string, via: string) => async (fn: LambdaFunction, logStream: string) => {
    await authorize({
      caller: roleCaller(fn),
      action,
      resource: `${fn.logGroupArn}:log-stream:${logStream}`,
      reportAs: `${fn.logGroupArn}:log-stream:*`,
      via,
    });
  };
  const lambda = new LambdaService({
    logDir: join(options.dataDir, 'logs'),
    reserved: (fn) => ({
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: accessKeyOf(fn.name),
      AWS_SECRET_ACCESS_KEY: createHash('sha256').update(`secret/${fn.name}`).digest('base64'),
      AWS_SESSION_TOKEN: `rehearsal-session-${fn.name}`,
      // The one variable Lambda would not set: every SDK client calls the rehearsal's endpoint.
      AWS_ENDPOINT_URL: endpoint,
    }),
    hooks: {
      onEnvironment: logStreamAccess('logs:CreateLogStream', 'lambda: its log stream'),
      onInvoke: logStreamAccess('logs:PutLogEvents', 'lambda: its log lines'),
      onError: (fn, line) =>
        findings.functionErrors.push({ function: fn.logicalId, line: line.slice(0, 500) }),
    },
  });
  const invokeAsync = async (fn: LambdaFunction, event: unknown, where: string) => {
    const config = invokeConfig.get(fn.name);
    const retries = Number(config?.MaximumRetryAttempts ?? 2);
    let last = '';
    for (let attempt = 0; attempt <= retries; attempt += 1) {
      const result = await lambda.invoke(fn, event);
      if (result.ok) return;
      last = `${result.error.errorType}: ${result.error.errorMessage}`;
    }
    const resource = stack.resources[fn.logicalId]?.Properties;
    const destination =
      config?.DestinationConfig?.OnFailure?.Destination ?? resource?.DeadLetterConfig?.TargetArn;
    await deadLetter(
      roleCaller(fn),
      destination,
      `${where} -> ${fn.logicalId}`,
      `failed ${retries + 1} times (${last})`,
    );
  };

  const deliver = async (rule: Rule, event: Json) => {
    for (const target of rule.targets) {
      const where = `rule ${rule.logicalId}`;
      const input =
        target.Input !== undefined
          ? JSON.parse(target.Input)
          : target.InputPath
            ? jsonPath(event, target.InputPath)
            : event;
      if (target.InputTransformer) {
        findings.unsupported.push(`${where}: InputTransformer`);
        continue;
      }
      const fn = functionByArnOrName(String(target.Arn));
      if (!fn) {
        findings.unsupported.push(`${where}: target ${target.Arn} is not a function of the stack`);
        continue;
      }
      const events: Caller = { kind: 'service', service: 'events.amazonaws.com' };
      const invokable = await authorize({
        caller: events,
        action: 'lambda:InvokeFunction',
        resource: fn.arn,
        context: { 'aws:SourceArn': rule.arn },
        via: `EventBridge ${rule.logicalId}`,
      });
      if (!invokable) {
        // EventBridge retries per the target's policy, then dead-letters with the queue's policy.
        await deadLetter(
          events,
          target.DeadLetterConfig?.Arn,
          where,
          'EventBridge may not invoke the function',
        );
        continue;
      }
      await invokeAsync(fn, input, where);
    }
  };
  const fireSchedules = async () => {
    const fired = rules
      .filter((rule) => rule.schedule !== undefined)
      .map((rule) =>
        track(
          deliver(rule, {
            version: '0',
            id: randomUUID(),
            'detail-type': 'Scheduled Event',
            source: 'aws.events',
            account,
            time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
            region,
            resources: [rule.arn],
            detail: {},
          }),
        ),
      );
    await Promise.all(fired);
  };
  // EventBridge Scheduler invokes through a role of its own: not rehearsed, so never silently skipped.
  for (const [id] of ofType(stack, 'AWS::Scheduler::Schedule'))
    findings.unsupported.push(
      `${id}: AWS::Scheduler::Schedule is not rehearsed (AWS::Events::Rule schedules are)`,
    );
  const publish = (busArn: string, entry: PutEventsEntry): string => {
    const id = randomUUID();
    const time = entry.Time
      ? new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : entry.Time)
      : new Date();
    const event = {
      version: '0',
      id,
      'detail-type': entry.DetailType,
      source: entry.Source,
      account,
      time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region,
      resources: entry.Resources ?? [],
      detail: JSON.parse(entry.Detail ?? '{}'),
    };
    for (const rule of rules) {
      if (rule.busArn !== busArn || !rule.pattern) continue;
      if (matchesPattern(rule.pattern, event)) track(deliver(rule, event));
    }
    return id;
  };

  // Event source mappings: the table streams feed their functions.
  const mappings: Mapping[] = [];
  for (const [id, resource] of ofType(stack, 'AWS::Lambda::EventSourceMapping')) {
    const p = resource.Properties ?? {};
    if (p.Enabled === false) continue;
    const fn = functionByArnOrName(String(p.FunctionName));
    if (!fn) throw new TemplateError(`${id}: no function ${p.FunctionName}`);
    if (!tables.some((t) => t.streamArn === p.EventSourceArn)) {
      findings.unsupported.push(`${id}: its source ${p.EventSourceArn} is not a table stream`);
      continue;
    }
    mappings.push({
      logicalId: id,
      fn,
      sourceArn: p.EventSourceArn,
      batchSize: Number(p.BatchSize ?? 100),
      filters: asList<Json>(p.FilterCriteria?.Filters).map((f) => JSON.parse(f.Pattern)),
      reportsItemFailures: asList(p.FunctionResponseTypes).includes('ReportBatchItemFailures'),
      // -1 is "until the record expires": a rehearsal stops at 10.
      maxRetries:
        p.MaximumRetryAttempts === undefined || p.MaximumRetryAttempts < 0
          ? 10
          : Number(p.MaximumRetryAttempts),
      bisect: p.BisectBatchOnFunctionError === true,
      onFailure: p.DestinationConfig?.OnFailure?.Destination,
      queue: [],
      running: false,
    });
  }
  const streamKeyOf = new Map(tables.map((t) => [t.streamArn, t.keyArn]));
  /**
   * What the mapping's poller does with the function's role: read the stream it was given by ARN,
   * and decrypt it. (It needs no dynamodb:ListStreams, which only `*` can grant: AWS's own example
   * policy for stream consumers scopes it to the stream, where it allows nothing.)
   */
  const pollerCalls = async (mapping: Mapping): Promise<boolean> => {
    const caller = roleCaller(mapping.fn);
    const via = `event source mapping ${mapping.logicalId}`;
    const calls: AwsCall[] = [
      { caller, action: 'dynamodb:DescribeStream', resource: mapping.sourceArn, via },
      { caller, action: 'dynamodb:GetShardIterator', resource: mapping.sourceArn, via },
      { caller, action: 'dynamodb:GetRecords', resource: mapping.sourceArn, via },
    ];
    const key = streamKeyOf.get(mapping.sourceArn);
    if (key) calls.push({ caller, action: 'kms:Decrypt', resource: key, via: `${via}: the stream key` });
    let allowed = true;
    for (const call of calls) allowed = (await authorize(call)) && allowed;
    return allowed;
  };
  const runBatch = async (mapping: Mapping, batch: Json[]): Promise<void> => {
    let pending = batch;
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      const result = await lambda.invoke(mapping.fn, { Records: pending });
      if (result.ok) {
        const failures = mapping.reportsItemFailures
          ? asList<Json>((result.result as Json)?.batchItemFailures).map((f) => String(f.itemIdentifier))
          : [];
        if (failures.length === 0) return;
        // Lambda checkpoints before the lowest failed sequence number and retries from there.
        const first = pending.findIndex((r) => failures.includes(r.dynamodb.SequenceNumber));
        pending = pending.slice(Math.max(first, 0));
      } else if (mapping.bisect && pending.length > 1) {
        const half = Math.ceil(pending.length / 2);
        await runBatch(mapping, pending.slice(0, half));
        await runBatch(mapping, pending.slice(half));
        return;
      }
      if (attempt >= mapping.maxRetries) {
        const why = result.ok
          ? 'records reported as failed'
          : `${result.error.errorType}: ${result.error.errorMessage}`;
        await deadLetter(
          roleCaller(mapping.fn),
          mapping.onFailure,
          `mapping ${mapping.logicalId}`,
          `${pending.length} record(s) failed ${attempt + 1} times (${why})`,
        );
        return;
      }
    }
  };
  const pump = async (mapping: Mapping) => {
    if (mapping.running) return;
    mapping.running = true;
    try {
      while (mapping.queue.length > 0) {
        const polled = mapping.queue.splice(0, mapping.batchSize);
        if (!(await pollerCalls(mapping))) {
          findings.deadLetters.push({
            where: `mapping ${mapping.logicalId}`,
            why: 'its role may not read the stream: records never delivered',
          });
          continue;
        }
        const batch = mapping.filters.length
          ? polled.filter((record) => mapping.filters.some((f) => matchesPattern(f, record)))
          : polled;
        if (batch.length > 0) await runBatch(mapping, batch);
      }
    } finally {
      mapping.running = false;
    }
  };
  let sequence = 0;
  const onChange = (change: StreamChange) => {
    const table = tables.find((t) => t.name === change.table.name);
    if (!table?.streamArn) return;
    sequence += 1;
    const view = table.streamViewType ?? 'KEYS_ONLY';
    const record = {
      eventID: randomUUID().replaceAll('-', ''),
      eventName: change.eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: region,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
        Keys: change.keys,
        ...(['NEW_IMAGE', 'NEW_AND_OLD_IMAGES'].includes(view) &&
          change.newImage && { NewImage: change.newImage }),
        ...(['OLD_IMAGE', 'NEW_AND_OLD_IMAGES'].includes(view) &&
          change.oldImage && { OldImage: change.oldImage }),
        SequenceNumber: String(sequence).padStart(21, '0'),
        SizeBytes: Buffer.byteLength(JSON.stringify(change.newImage ?? change.keys)),
        StreamViewType: view,
      },
      eventSourceARN: table.streamArn,
    };
    for (const mapping of mappings) {
      if (mapping.sourceArn !== table.streamArn) continue;
      mapping.queue.push(record);
      track(pump(mapping));
    }
  };

  // The AWS endpoint every function's SDK calls.
  const identities = ofType(stack, 'AWS::SES::EmailIdentity').map(([, r]) =>
    String(r.Properties?.EmailIdentity),
  );
  const outbox = join(options.dataDir, 'outbox');
  const kms = new SigningKeys(stack);
  const aws = await startAwsEndpoint({
    region,
    iam,
    callers,
    kms,
    dynamo: { endpoint: dynamo.endpoint, tables, onChange },
    s3: { endpoint: s3.endpoint, buckets },
    events: { buses, publish },
    ses: {
      send: (source, message) => folderMailer(outbox, { sender: source })(message),
      identities: identities.length > 0 ? identities : undefined,
    },
    onUnsupported: (call) => findings.unsupported.push(call),
  });
  const endpoint = aws.endpoint;

  // API Gateway: the REST API's methods, each invoking its function as the template wires it.
  const log = createLogger();
  const front = await listenGateway(options.port ?? 0, log);
  const { routes, handlers, origins } = gatewayOf(
    stack,
    functionByArnOrName,
    async (fn, event, sourceArn) => {
      const invokable = await authorize({
        caller: { kind: 'service', service: 'apigateway.amazonaws.com' },
        action: 'lambda:InvokeFunction',
        resource: fn.arn,
        context: { 'aws:SourceArn': sourceArn },
        via: 'API Gateway',
      });
      if (!invokable) throw new Error(`API Gateway may not invoke ${fn.logicalId}`);
      const result = await lambda.invoke(fn, event);
      if (!result.ok) throw new Error(`${fn.logicalId}: ${result.error.errorType}`);
      const answer = result.result as APIGatewayProxyResult;
      if (typeof answer?.statusCode !== 'number')
        throw new Error(`${fn.logicalId}: malformed proxy response`);
      return answer;
    },
  );
  front.serve(gatewayFor(routes, handlers, origins, log));

  const functionsByRole = () =>
    new Map([...functions.values()].map((fn) => [iam.roleNameOf(fn.roleArn), fn.logicalId]));
  /** IAM's denials as the findings report them: who was denied, by function or service. */
  const denials = () =>
    iam.denials.map((d) => ({
      caller: d.caller.kind === 'role' ? d.caller.function : d.caller.service,
      action: d.action,
      resource: d.resource,
      via: d.via,
      result: d.result,
    }));
  const settled = async () => {
    while (work.size > 0) await Promise.allSettled([...work]);
  };
  return {
    url: front.url,
    // The archive the stack names in its outputs, as an operator would find it.
    archive: { endpoint: s3.endpoint, bucket: stack.outputs.AuditBucketName ?? buckets[0]?.name ?? '' },
    stack,
    iam,
    kms,
    functionsByRole,
    fireSchedules,
    findings: () => ({
      ...findings,
      denials: denials(),
    }),
    settled,
    close: async () => {
      await front.close();
      // Each scheduled target runs at least once, on what the story left in the tables.
      await fireSchedules();
      await settled();
      await lambda.close();
      await aws.close();
      await dynamo.close();
      await s3.close();
      if (options.recordFile) {
        const record: RehearsalRecord = {
          ...findings,
          denials: denials(),
          records: iam.records(),
          functionsByRole: [...functionsByRole()],
        };
        appendFileSync(options.recordFile, `${JSON.stringify(record)}\n`);
      }
    },
  };
}

/**
 * Why EventBridge would refuse a rule's ScheduleExpression, if it would: `rate(value unit)` with a
 * singular unit for 1 and a plural one otherwise, or `cron(...)` with its six fields (minutes,
 * hours, day of month, month, day of week, year) and a `?` in one of the two day fields.
 */
export function scheduleProblem(expression: string): string | undefined {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const plural = String(rate[2]).endsWith('s');
    if (value < 1) return 'the rate must be a positive number';
    return value === 1 && plural
      ? 'a rate of 1 takes a singular unit'
      : value > 1 && !plural
        ? 'a rate above 1 takes a plural unit'
        : undefined;
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) return 'neither rate(...) nor cron(...)';
  const fields = String(cron[1]).trim().split(/\s+/);
  if (fields.length !== 6)
    return `cron takes six fields (minutes hours day-of-month month day-of-week year), not ${fields.length}`;
  if (!fields.every((f) => /^[0-9A-Za-z,\-*/?#]+$/.test(f)))
    return 'a cron field has characters cron does not take';
  const [, , dayOfMonth, , dayOfWeek] = fields;
  if ((dayOfMonth === '?') === (dayOfWeek === '?'))
    return 'one of day-of-month and day-of-week must be ?, and only one';
  return undefined;
}

/** `$.a.b` of an event, for a target's InputPath. */
const jsonPath = (event: Json, path: string): Json =>
  path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)
    .reduce((value, key) => value?.[key], event);

/**
 * The REST API's methods from the template: each resource's path from its parents, each method's
 * Lambda proxy integration (its function from the integration URI); the CORS origins from the
 * preflight (MOCK) methods. Methods of other integration types are refused, naming them.
 */
function gatewayOf(
  stack: ResolvedStack,
  functionOf: (arnOrName: string) => LambdaFunction | undefined,
  invoke: (
    fn: LambdaFunction,
    event: APIGatewayProxyEvent,
    sourceArn: string,
  ) => Promise<APIGatewayProxyResult>,
): { routes: GatewayRoute[]; handlers: Record<string, Handler>; origins: string[] } {
  const apis = ofType(stack, 'AWS::ApiGateway::RestApi');
  if (apis.length > 1)
    throw new TemplateError(`the rehearsal serves one REST API; the template has ${apis.length}`);
  if (apis.length === 0) return { routes: [], handlers: {}, origins: [] };
  const [apiId] = apis[0] as [string, unknown];
  const restApiId = stack.refOf(apiId);
  const stageName = String(ofType(stack, 'AWS::ApiGateway::Stage')[0]?.[1].Properties?.StageName ?? 'v1');
  const resources = new Map<string, Json>(
    ofType(stack, 'AWS::ApiGateway::Resource').map(([id, r]) => [stack.refOf(id), r.Properties]),
  );
  const pathOf = (resourceId: string): string => {
    const resource = resources.get(resourceId);
    if (!resource) return '';
    return `${pathOf(resource.ParentId)}/${resource.PathPart}`;
  };
  const routes: GatewayRoute[] = [];
  const handlers: Record<string, Handler> = {};
  const origins = new Set<string>();
  for (const [id, method] of ofType(stack, 'AWS::ApiGateway::Method')) {
    const p = method.Properties ?? {};
    const path = pathOf(p.ResourceId) || '/';
    const integration = p.Integration ?? {};
    if (p.HttpMethod === 'OPTIONS' && integration.Type === 'MOCK') {
      for (const response of asList<Json>(integration.IntegrationResponses)) {
        const origin = response.ResponseParameters?.['method.response.header.Access-Control-Allow-Origin'];
        if (typeof origin === 'string') origins.add(origin.replace(/^'|'$/g, ''));
        for (const template of Object.values(response.ResponseTemplates ?? {}))
          for (const m of String(template).matchAll(/"(https?:\/\/[^"]+)"/g)) origins.add(m[1] as string);
      }
      continue;
    }
    if (integration.Type !== 'AWS_PROXY' || p.AuthorizationType !== 'NONE')
      throw new TemplateError(
        `${id}: ${integration.Type} integrations with ${p.AuthorizationType} authorization are not rehearsed`,
      );
    const fnArn = /functions\/(.+)\/invocations$/.exec(String(integration.Uri))?.[1] ?? '';
    const fn = functionOf(fnArn);
    if (!fn)
      throw new TemplateError(`${id}: its integration ${integration.Uri} names no function of the stack`);
    routes.push({ method: p.HttpMethod, path, fn: fn.logicalId });
    handlers[fn.logicalId] ??= async (event) => {
      // The ARN API Gateway invokes with: the method and resource path (never the path itself, which names a patient).
      const sourceArn = `arn:aws:execute-api:${stack.region}:${account}:${restApiId}/${stageName}/${event.httpMethod === 'HEAD' ? 'GET' : event.httpMethod}${event.resource}`;
      return invoke(
        fn,
        {
          ...event,
          requestContext: {
            ...event.requestContext,
            accountId: account,
            apiId: restApiId,
            stage: stageName,
            path: `/${stageName}${event.path}`,
            requestId: event.requestContext.requestId,
          },
        },
        sourceArn,
      );
    };
  }
  return { routes, handlers, origins: [...origins].filter((o) => o !== '*') };
}

/**
 * How the API tests run against a rehearsal (test/api/harness.ts): `REHEARSAL_ASSEMBLY` names the
 * cloud assembly, `REHEARSAL_ISSUER_DIR` the data directory whose dev issuer keys the template
 * trusts (a LocalStack synth builds them in; the AWS template takes them as its TrustedIssuers
 * parameter), and `REHEARSAL_RECORD` where each rehearsal appends what it saw.
 */
export const rehearsalEnv = {
  assembly: 'REHEARSAL_ASSEMBLY',
  issuerDir: 'REHEARSAL_ISSUER_DIR',
  record: 'REHEARSAL_RECORD',
} as const;

/** A rehearsal for one test file, when the environment asks for one; its dev issuer keys in `dataDir`. */
export async function rehearsalFromEnv(dataDir: string): Promise<Rehearsal | undefined> {
  const assemblyDir = process.env[rehearsalEnv.assembly];
  if (!assemblyDir) return undefined;
  const issuerDir = process.env[rehearsalEnv.issuerDir];
  if (issuerDir) cpSync(join(issuerDir, 'issuer'), join(dataDir, 'issuer'), { recursive: true });
  const issuer = ensureDevIssuer(dataDir);
  const recordFile = process.env[rehearsalEnv.record];
  return startRehearsal({
    assemblyDir,
    dataDir,
    parameters: { TrustedIssuers: JSON.stringify(issuer.trustedIssuers) },
    ...(recordFile && { recordFile }),
  });
}
