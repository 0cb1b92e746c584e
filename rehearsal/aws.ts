import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import type { OutgoingMessage } from '../functions/platform/mailer.ts';
import type { AwsCall, Caller, IamProof } from './iam.ts';
import { account } from './template.ts';

/**
 * The AWS endpoint the rehearsed functions call (`AWS_ENDPOINT_URL`): each request is attributed
 * to the function whose credentials signed it (each function has its own, as each role's session
 * does in Lambda), mapped to the IAM action, resource ARN and condition keys AWS would evaluate,
 * authorised by the IAM proof (denied: answered as AWS answers AccessDenied), and then served:
 * DynamoDB by dynalite (every write also becomes a stream record), S3 by s3rver, EventBridge
 * PutEvents by the rehearsal's bus, SES SendEmail by the outbox. Anything else is refused, naming
 * it, so a call the rehearsal cannot serve is never silently passed.
 */

/** An encrypted table or bucket: AWS uses its KMS key with the caller's permissions. */
export type TableInfo = {
  name: string;
  arn: string;
  /** Its key attributes, which a stream record's `Keys` hold. */
  keyNames: string[];
  keyArn: string | undefined;
  streamViewType: string | undefined;
};
export type BucketInfo = { name: string; arn: string; keyArn: string | undefined };

/** A write as the table's stream sees it; keys and images in DynamoDB's attribute-value JSON, as on the wire. */
export type StreamChange = {
  table: TableInfo;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  keys: Record<string, unknown>;
  newImage?: Record<string, unknown>;
  oldImage?: Record<string, unknown>;
};

export type PutEventsEntry = {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
  Time?: number | string;
};

export type AwsEndpointOptions = {
  region: string;
  iam: IamProof;
  /** Each function's access key: who signed a request. */
  callers: Map<string, Caller & { kind: 'role' }>;
  dynamo: { endpoint: string; tables: TableInfo[]; onChange(change: StreamChange): void };
  s3: { endpoint: string; buckets: BucketInfo[] };
  /** Event bus names and ARNs of the stack, and where their events go. */
  events: { buses: Map<string, string>; publish(busArn: string, entry: PutEventsEntry): string };
  /** SES: the verified identities (undefined: the sender is verified by hand, as on LocalStack), and where mail goes. */
  ses: { send(source: string, message: OutgoingMessage): Promise<void>; identities: string[] | undefined };
  /** A call the rehearsal does not serve: reported. */
  onUnsupported(call: string): void;
};

type Reply = { status: number; headers: Record<string, string>; body: Buffer | string };

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => {
  const text = JSON.stringify(body);
  return {
    status,
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-crc32': String(crc32(Buffer.from(text))),
      ...headers,
    },
    body: text,
  };
};

const jsonError = (status: number, type: string, message: string) =>
  json(status, { __type: type, message, Message: message });

const xmlError = (status: number, code: string, message: string) => ({
  status,
  headers: { 'content-type': 'text/xml' },
  body: `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
});

const escapeXml = (text: string) =>
  text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );

const readBody = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

/** Sends the request on to a local protocol server and returns its answer. */
const forward = (
  endpoint: string,
  req: IncomingMessage,
  body: Buffer,
  dropHeaders: string[] = [],
): Promise<Reply> =>
  new Promise((resolve, reject) => {
    const url = new URL(req.url ?? '/', endpoint);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([k]) => !['host', 'content-length', ...dropHeaders].includes(k)),
    );
    const out = request(
      url,
      { method: req.method, headers: { ...headers, 'content-length': String(body.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 502,
            headers: Object.fromEntries(
              Object.entries(res.headers)
                .filter(([k]) => !['content-length', 'transfer-encoding', 'connection'].includes(k))
                .map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
            ),
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    out.on('error', reject);
    out.end(body);
  });

/** `Credential=AKID/date/region/service/aws4_request` of a SigV4 Authorization header. */
const credentialOf = (req: IncomingMessage) => {
  const match = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(
    req.headers.authorization ?? '',
  );
  return match
    ? { accessKey: match[1] as string, region: match[2] as string, service: match[3] as string }
    : undefined;
};

export async function startAwsEndpoint(
  options: AwsEndpointOptions,
): Promise<{ endpoint: string; close(): Promise<void> }> {
  const { region, iam } = options;
  const tablesByName = new Map(options.dynamo.tables.map((t) => [t.name, t]));
  const bucketsByName = new Map(options.s3.buckets.map((b) => [b.name, b]));

  /** Authorises every call; the first denied one is the answer AWS would give. */
  const authorize = async (calls: AwsCall[]): Promise<string | undefined> => {
    for (const call of calls) {
      const decision = await iam.authorize(call);
      if (!decision.allowed) {
        const who =
          call.caller.kind === 'role'
            ? `arn:aws:sts::${account}:assumed-role/${iam.roleNameOf(call.caller.roleArn)}/${call.caller.function}`
            : call.caller.service;
        return `User: ${who} is not authorized to perform: ${call.action} on resource: ${call.resource} because no identity-based policy allows the ${call.action} action (rehearsal: ${decision.result}${decision.errors ? `, ${decision.errors}` : ''})`;
      }
    }
    return undefined;
  };

  const tableKeyUse = (caller: Caller, table: TableInfo): AwsCall[] =>
    table.keyArn
      ? [
          {
            caller,
            action: 'kms:Decrypt',
            resource: table.keyArn,
            context: {
              'kms:ViaService': `dynamodb.${region}.amazonaws.com`,
              'kms:CallerAccount': account,
              'kms:EncryptionContext:aws:dynamodb:tableName': table.name,
              'kms:EncryptionContext:aws:dynamodb:subscriberId': account,
            },
            via: 'dynamodb: the table key',
          },
        ]
      : [];

  async function dynamodb(caller: Caller, req: IncomingMessage, body: Buffer): Promise<Reply> {
    const operation = String(req.headers['x-amz-target'] ?? '').replace(/^DynamoDB_\d+\./, '');
    const input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    const tableNames: string[] =
      typeof input.TableName === 'string'
        ? [input.TableName]
        : Object.keys((input.RequestItems as object | undefined) ?? {});
    if (tableNames.length === 0) {
      options.onUnsupported(`dynamodb:${operation}`);
      return jsonError(
        400,
        'com.amazon.coral.validate#ValidationException',
        `rehearsal: dynamodb:${operation} is not rehearsed`,
      );
    }
    const calls: AwsCall[] = [];
    const tables: TableInfo[] = [];
    for (const name of tableNames) {
      const table = tablesByName.get(name.replace(/^arn:aws:dynamodb:[^:]*:[^:]*:table\//, ''));
      if (!table)
        return jsonError(
          400,
          'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException',
          `Requested resource not found: Table: ${name} not found`,
        );
      tables.push(table);
      const resource =
        typeof input.IndexName === 'string' ? `${table.arn}/index/${input.IndexName}` : table.arn;
      const context: Record<string, string> = {};
      for (const key of ['Select', 'ReturnValues', 'ReturnConsumedCapacity'] as const) {
        if (typeof input[key] === 'string') context[`dynamodb:${key}`] = input[key] as string;
      }
      calls.push({ caller, action: `dynamodb:${operation}`, resource, context, via: 'sdk' });
      calls.push(...tableKeyUse(caller, table));
    }
    const denied = await authorize(calls);
    if (denied) return jsonError(400, 'com.amazon.coral.service#AccessDeniedException', denied);

    const table = tables[0] as TableInfo;
    const streamed = table.streamViewType !== undefined;
    const writes = ['PutItem', 'DeleteItem', 'UpdateItem'];
    if (
      streamed &&
      ['BatchWriteItem', 'TransactWriteItems', 'ExecuteStatement', 'BatchExecuteStatement'].includes(
        operation,
      )
    ) {
      options.onUnsupported(`dynamodb:${operation} on a streamed table`);
      return jsonError(
        400,
        'com.amazon.coral.validate#ValidationException',
        `rehearsal: the table stream of ${operation} is not rehearsed`,
      );
    }
    if (!streamed || !writes.includes(operation)) return forward(options.dynamo.endpoint, req, body);

    // A write: ask for the image the stream needs, and answer the caller what it asked for.
    const asked = input.ReturnValues;
    const wanted = operation === 'UpdateItem' ? 'ALL_NEW' : 'ALL_OLD';
    const sent = Buffer.from(JSON.stringify({ ...input, ReturnValues: wanted }));
    const reply = await forward(options.dynamo.endpoint, req, sent);
    if (reply.status !== 200) return reply;
    const answer = JSON.parse(reply.body.toString('utf8') || '{}') as Record<string, unknown>;
    const attributes = answer.Attributes as Record<string, unknown> | undefined;
    const keyOf = (item: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(item).filter(([k]) => table.keyNames.includes(k)));
    if (operation === 'PutItem') {
      const item = input.Item as Record<string, unknown>;
      options.dynamo.onChange({
        table,
        eventName: attributes ? 'MODIFY' : 'INSERT',
        keys: keyOf(item),
        newImage: item,
        ...(attributes && { oldImage: attributes }),
      });
    } else if (operation === 'DeleteItem' && attributes) {
      options.dynamo.onChange({ table, eventName: 'REMOVE', keys: keyOf(attributes), oldImage: attributes });
    } else if (operation === 'UpdateItem' && attributes) {
      // The stream's MODIFY; an update that makes an item is an INSERT in AWS, which this does not tell apart.
      options.dynamo.onChange({ table, eventName: 'MODIFY', keys: keyOf(attributes), newImage: attributes });
    }
    if (asked !== wanted) delete answer.Attributes;
    return json(200, answer);
  }

  async function s3(caller: Caller, req: IncomingMessage, body: Buffer): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://s3.local');
    const [, bucketName = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const bucket = bucketsByName.get(bucketName);
    if (!bucket) return xmlError(404, 'NoSuchBucket', `The specified bucket does not exist: ${bucketName}`);
    const method = req.method ?? 'GET';
    // `x-id` only names the SDK operation; any other parameter of an object request is a subresource.
    const subresources = [...url.searchParams.keys()].filter((k) => k !== 'x-id');
    const objectActions: Record<string, string> = {
      PUT: 's3:PutObject',
      GET: 's3:GetObject',
      HEAD: 's3:GetObject',
      DELETE: 's3:DeleteObject',
    };
    const action: string | undefined =
      key === ''
        ? method === 'GET' && (url.searchParams.has('list-type') || subresources.length === 0)
          ? 's3:ListBucket'
          : undefined
        : objectActions[method];
    if (!action || (key !== '' && subresources.length > 0)) {
      options.onUnsupported(`s3:${method} ${url.search || 'object'}`);
      return xmlError(501, 'NotImplemented', `rehearsal: s3 ${method} ${url.search} is not rehearsed`);
    }
    const resource = key === '' ? bucket.arn : `${bucket.arn}/${key}`;
    const context: Record<string, string> = { 's3:TlsVersion': '1.3', 's3:authType': 'REST-HEADER' };
    const sse = req.headers['x-amz-server-side-encryption'];
    if (typeof sse === 'string') context['s3:x-amz-server-side-encryption'] = sse;
    if (typeof req.headers['if-none-match'] === 'string')
      context['s3:if-none-match'] = req.headers['if-none-match'];
    // Reported by the object's first folder: one line for every event the archive writes.
    const reportAs = key.includes('/') ? `${bucket.arn}/${key.split('/')[0]}/*` : resource;
    const calls: AwsCall[] = [{ caller, action, resource, context, via: 'sdk', reportAs }];
    if (bucket.keyArn && (action === 's3:PutObject' || action === 's3:GetObject')) {
      calls.push({
        caller,
        action: action === 's3:PutObject' ? 'kms:GenerateDataKey' : 'kms:Decrypt',
        resource: bucket.keyArn,
        context: {
          'kms:ViaService': `s3.${region}.amazonaws.com`,
          'kms:CallerAccount': account,
          'kms:EncryptionContext:aws:s3:arn': bucket.arn,
        },
        via: 's3: the bucket key',
      });
    }
    const denied = await authorize(calls);
    if (denied) return xmlError(403, 'AccessDenied', denied);
    // s3rver takes unsigned requests; the signature was checked here, by the caller's key.
    return forward(options.s3.endpoint, req, body, ['authorization', 'x-amz-security-token']);
  }

  async function events(caller: Caller, req: IncomingMessage, body: Buffer): Promise<Reply> {
    const operation = String(req.headers['x-amz-target'] ?? '').replace(/^AWSEvents\./, '');
    if (operation !== 'PutEvents') {
      options.onUnsupported(`events:${operation}`);
      return jsonError(400, 'UnknownOperationException', `rehearsal: events:${operation} is not rehearsed`);
    }
    const input = JSON.parse(body.toString('utf8') || '{}') as { Entries?: PutEventsEntry[] };
    const entries = input.Entries ?? [];
    if (entries.length < 1 || entries.length > 10)
      return jsonError(400, 'ValidationException', 'Entries must have between 1 and 10 members');
    const busArnOf = (entry: PutEventsEntry) => {
      const name = entry.EventBusName ?? 'default';
      return name.startsWith('arn:') ? name : options.events.buses.get(name);
    };
    const calls: AwsCall[] = entries.map((entry) => ({
      caller,
      action: 'events:PutEvents',
      resource:
        busArnOf(entry) ?? `arn:aws:events:${region}:${account}:event-bus/${entry.EventBusName ?? 'default'}`,
      context: {
        ...(entry.Source && { 'events:source': entry.Source }),
        ...(entry.DetailType && { 'events:detail-type': entry.DetailType }),
      },
      via: 'sdk',
    }));
    const denied = await authorize(calls);
    if (denied) return jsonError(400, 'AccessDeniedException', denied);
    const results = entries.map((entry) => {
      const busArn = busArnOf(entry);
      if (!busArn || ![...options.events.buses.values()].includes(busArn))
        return {
          ErrorCode: 'InvalidArgument',
          ErrorMessage: `no event bus ${entry.EventBusName ?? 'default'} in the template`,
        };
      if (!entry.Source || !entry.DetailType || !entry.Detail)
        return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Source, DetailType and Detail are required' };
      try {
        const detail = JSON.parse(entry.Detail) as unknown;
        if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) throw new Error();
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      if (Buffer.byteLength(JSON.stringify(entry)) > 256 * 1024)
        return { ErrorCode: 'InvalidArgument', ErrorMessage: 'the entry is over 256 KB' };
      return { EventId: options.events.publish(busArn, entry) };
    });
    return json(
      200,
      { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results },
      {
        'content-type': 'application/x-amz-json-1.1',
      },
    );
  }

  async function ses(caller: Caller, body: Buffer): Promise<Reply> {
    const form = new URLSearchParams(body.toString('utf8'));
    const action = form.get('Action');
    if (action !== 'SendEmail') {
      options.onUnsupported(`ses:${action}`);
      return xmlError(400, 'InvalidAction', `rehearsal: ses:${action} is not rehearsed`);
    }
    const source = form.get('Source') ?? '';
    const from = /<([^>]+)>\s*$/.exec(source)?.[1] ?? source;
    const recipients = [...form.entries()]
      .filter(([k]) => /^Destination\.(To|Cc|Bcc)Addresses\.member\.\d+$/.test(k))
      .map(([, v]) => v);
    // SES authorises the sender's address identity if there is one, else its domain's.
    const domain = from.split('@')[1] ?? '';
    const identity =
      options.ses.identities &&
      !options.ses.identities.includes(from) &&
      options.ses.identities.includes(domain)
        ? domain
        : from;
    const denied = await authorize([
      {
        caller,
        action: 'ses:SendEmail',
        resource: `arn:aws:ses:${region}:${account}:identity/${identity}`,
        context: { 'ses:FromAddress': from, 'ses:Recipients': recipients, 'ses:ApiVersion': '1' },
        via: 'sdk',
      },
    ]);
    if (denied) return xmlError(403, 'AccessDenied', denied);
    if (
      options.ses.identities &&
      !options.ses.identities.includes(from) &&
      !options.ses.identities.includes(domain)
    )
      return xmlError(
        400,
        'MessageRejected',
        `Email address is not verified. The following identities failed the check: ${from}`,
      );
    const messageId = randomUUID();
    for (const to of recipients) {
      await options.ses.send(source, {
        to,
        subject: form.get('Message.Subject.Data') ?? '',
        text: form.get('Message.Body.Text.Data') ?? '',
        reference: messageId,
      });
    }
    return {
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body: `<SendEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><SendEmailResult><MessageId>${messageId}</MessageId></SendEmailResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></SendEmailResponse>`,
    };
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const credential = credentialOf(req);
    const caller = credential && options.callers.get(credential.accessKey);
    let reply: Reply;
    if (!credential || !caller) {
      reply = jsonError(
        403,
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
      );
    } else if (credential.region !== region) {
      reply = jsonError(
        400,
        'InvalidSignatureException',
        `the request is signed for ${credential.region}, not ${region}`,
      );
    } else {
      switch (credential.service) {
        case 'dynamodb':
          reply = await dynamodb(caller, req, body);
          break;
        case 's3':
          reply = await s3(caller, req, body);
          break;
        case 'events':
          reply = await events(caller, req, body);
          break;
        case 'ses':
          reply = await ses(caller, body);
          break;
        default:
          options.onUnsupported(`${credential.service}: ${req.headers['x-amz-target'] ?? req.method}`);
          reply = jsonError(
            400,
            'UnknownOperationException',
            `rehearsal: ${credential.service} is not rehearsed`,
          );
      }
    }
    res.writeHead(reply.status, { ...reply.headers, 'x-amzn-requestid': randomUUID() });
    res.end(reply.body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const reply = jsonError(500, 'InternalFailure', `rehearsal: ${(error as Error).message}`);
      if (!res.headersSent) res.writeHead(reply.status, reply.headers);
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
