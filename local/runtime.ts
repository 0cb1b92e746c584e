import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { subscriptions } from '../events/subscriptions.ts';
import { consumerFunctions, schedules, streamConsumers } from '../functions/consumers/consumers.ts';
import { type HttpFunctionName, httpFunctions, routes } from '../functions/http/routes.ts';
import { env } from '../functions/platform/config.ts';
import { allowedOriginsFromEnv, preflightHeaders } from '../functions/platform/cors.ts';
import type { TrustedIssuer } from '../functions/platform/identity.ts';
import { createLogger } from '../functions/platform/logger.ts';
import { problemBody, titleOf } from '../functions/platform/problem.ts';
import { logRequest } from '../functions/platform/request-log.ts';
import { type ApiEventInput, apiEvent, lambdaContext, templatePattern } from './api-gateway.ts';
import { createLocalBus } from './bus.ts';
import { ensureDevIssuer } from './dev-issuer.ts';
import { ensureTable, localDynamoClientConfig, startDynamo } from './dynamo.ts';
import { folderMailer } from './outbox.ts';
import { startS3 } from './s3.ts';
import { attachLocalStream, type StreamConsumer } from './stream.ts';

export type LocalRuntimeOptions = {
  dataDir: string;
  port?: number;
  /** Keep the data in memory (tests); otherwise it persists under dataDir. */
  inMemory?: boolean;
  allowedOrigins?: string;
  /** Issuers trusted beside the dev issuer (a national identity's, say): tests. */
  extraTrustedIssuers?: TrustedIssuer[];
  /** The table stream's consumers by name and entry module: those of consumers.ts unless given. */
  streamConsumers?: Readonly<Record<string, string>>;
  /** Run the scheduled consumers (consumers.ts `schedules`) at start and daily; on unless false. */
  schedules?: boolean;
};

/** The service signing key of a data directory (made on first use, 0600). */
export const serviceKeyFile = (dataDir: string): string => join(dataDir, 'signing', 'service.key.pem');

/** The stream consumers functions/consumers/consumers.ts deploys, by name and entry. */
export const deployedStreamConsumers: Readonly<Record<string, string>> = Object.fromEntries(
  streamConsumers.map((name) => [name, consumerFunctions[name]]),
);

/** The table's name on one machine. */
export const localTableName = 'urgent-care-plans';

/** Scheduled consumers run on one machine at start, then this often. */
const scheduleIntervalMs = 24 * 60 * 60 * 1000;

export type LocalRuntime = {
  url: string;
  /** The table, on its DynamoDB-protocol server (dynalite). */
  table: { endpoint: string; name: string };
  /** Where the audit archive's S3-protocol server listens, and its bucket. */
  archive: { endpoint: string; bucket: string };
  /** Runs each scheduled consumer once more now, as its EventBridge rule would, and waits for it. */
  fireSchedules(): Promise<void>;
  close(): Promise<void>;
  settled(): Promise<void>;
};

export type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** The most of a body held in memory: the handlers refuse far less, so past this the runtime answers 413 itself. */
const maxRequestBytes = 1024 * 1024;
/**
 * API Gateway's payload quota: a body up to this size is read to its end before the 413, so the
 * connection stays usable; past it the 413 closes the connection rather than read on.
 */
const gatewayPayloadBytes = 10 * 1024 * 1024;

/** API Gateway prefers a literal path segment to a `{param}`. */
const byLiteralFirst = (a: { path: string }, b: { path: string }) =>
  a.path.split('{').length - b.path.split('{').length;

const compile = (route: GatewayRoute) => ({ ...route, pattern: templatePattern(route.path) });

/** Every resource API Gateway has: each route's path and every prefix of it, each with its preflight. */
const resourcesOf = (specs: readonly GatewayRoute[]) => {
  const paths = new Set(['/']);
  for (const { path } of specs) {
    const segments = path.split('/').slice(1);
    for (let n = 1; n <= segments.length; n += 1) paths.add(`/${segments.slice(0, n).join('/')}`);
  }
  return [...paths].map((path) => ({ path, pattern: templatePattern(path) })).sort(byLiteralFirst);
};

/**
 * The whole service on one machine, no AWS: dynalite for DynamoDB, the dev token issuer, and an
 * HTTP server that turns each request into the API Gateway REST (v1) proxy event the same
 * Lambda handlers receive in AWS.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  mkdirSync(options.dataDir, { recursive: true });
  const dynamo = await startDynamo(options.inMemory ? {} : { path: join(options.dataDir, 'dynamodb') });
  const tableName = localTableName;
  const auditBucket = 'urgent-care-plans-audit';
  const s3 = await startS3({ directory: join(options.dataDir, 's3'), buckets: [auditBucket] });
  const issuer = ensureDevIssuer(options.dataDir);
  Object.assign(process.env, {
    [env.TABLE_NAME]: tableName,
    [env.DYNAMODB_ENDPOINT]: dynamo.endpoint,
    [env.S3_ENDPOINT]: s3.endpoint,
    [env.AUDIT_BUCKET]: auditBucket,
    AWS_REGION: 'eu-west-2',
    // s3rver accepts only its own access key; dynalite accepts any.
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    [env.TRUSTED_ISSUERS]: JSON.stringify([...issuer.trustedIssuers, ...(options.extraTrustedIssuers ?? [])]),
    // The service's own signing key: a key file here, where AWS has a KMS key.
    [env.SIGNING_KEY_FILE]: serviceKeyFile(options.dataDir),
    [env.ALLOWED_ORIGINS]: options.allowedOrigins ?? process.env.ALLOWED_ORIGINS ?? 'http://localhost:5173',
  });
  const admin = new DynamoDBClient(localDynamoClientConfig(dynamo.endpoint));
  await ensureTable(admin, tableName);
  admin.destroy();

  // The server listens first: notifications link to its address.
  const log = createLogger();
  const front = await listenGateway(options.port ?? 3000, log).catch(async (err: unknown) => {
    // A port in use (say) fails the start with nothing left running: the caller reports it.
    await Promise.all([dynamo.close(), s3.close()]);
    throw err;
  });
  const { url } = front;
  // Record-locator pointers lead to this server's FHIR documents; the custodian is a stand-in ODS code.
  process.env[env.API_URL] = url;
  process.env[env.CUSTODIAN_ODS] ??= 'LOCAL';

  // Loaded only now, so every module reads the environment set above.
  const { documentClient } = await import('../functions/platform/dynamo.ts');
  const { deliveries, organisations, patients, reminders, reviews } = await import(
    '../functions/platform/composition-root.ts'
  );
  const { createRelay } = await import('../functions/consumers/relay.ts');
  const { createNotificationHandler } = await import('../functions/consumers/notifications.ts');
  const { createReminders } = await import('../functions/consumers/reminders.ts');
  /** A consumer's deployed handler, as its Lambda function would run it. */
  const deployed = async (entry: string) =>
    (await import(new URL(`../${entry}`, import.meta.url).href)).handler;
  // Every bus consumer that events/subscriptions.ts names runs its deployed handler, but
  // notifications, which write .eml files and link to this server instead of sending through SES.
  const busConsumers = [...new Set(subscriptions.map((s) => s.consumer))];
  const bus = createLocalBus(
    Object.fromEntries(
      await Promise.all(
        busConsumers.map(async (name) => [
          name,
          name === 'notifications'
            ? createNotificationHandler({
                mailer: folderMailer(join(options.dataDir, 'outbox')),
                serviceUrl: url,
                organisations: organisations(),
                patients: patients(),
                deliveries: deliveries(),
              })
            : await deployed(consumerFunctions[name]),
        ]),
      ),
    ),
  );
  // Each stream consumer's own handler, but the relay's publishes to the local bus, not EventBridge.
  const localOnly: Record<string, StreamConsumer> = {
    relay: createRelay(bus, 'local', { maxAttempts: 1, baseDelayMs: 0, sleep: async () => undefined }),
  };
  const consumers = Object.fromEntries(
    await Promise.all(
      Object.entries(options.streamConsumers ?? deployedStreamConsumers).map(
        async ([name, entry]) =>
          [name, localOnly[name] ?? ((await deployed(entry)) as StreamConsumer)] as const,
      ),
    ),
  );
  const stream = attachLocalStream(documentClient(), consumers);
  const handlers = Object.fromEntries(
    await Promise.all(
      Object.entries(httpFunctions).map(async ([name, entry]) => [name, (await deployed(entry)) as Handler]),
    ),
  ) as Record<HttpFunctionName, Handler>;
  front.serve(gatewayFor(routes, handlers, allowedOriginsFromEnv(), log));

  // Each schedule's deployed handler, on a timer; the reminders write .eml files and link here.
  const localScheduled: Record<string, (event: unknown, context: Context) => Promise<unknown>> = {
    reminders: createReminders({
      reviews: reviews(),
      reminders: reminders(),
      organisations: organisations(),
      deliveries: deliveries(),
      mailer: folderMailer(join(options.dataDir, 'outbox')),
      serviceUrl: url,
    }),
  };
  const scheduled = await Promise.all(
    (options.schedules === false ? [] : schedules).map(async ({ id, consumer }) => {
      const run = localScheduled[consumer] ?? (await deployed(consumerFunctions[consumer]));
      let running: Promise<unknown> = Promise.resolve();
      const tick = () => {
        running = run(
          { source: 'aws.events', 'detail-type': 'Scheduled Event' },
          lambdaContext(consumer),
        ).catch((error: unknown) =>
          log.error('scheduled run failed', { schedule: id, error: (error as Error).name }),
        );
      };
      tick();
      const timer = setInterval(tick, scheduleIntervalMs);
      timer.unref();
      const fire = async () => {
        await running;
        tick();
        await running;
      };
      return { stop: () => clearInterval(timer), fire, done: () => running };
    }),
  );
  return {
    url,
    table: { endpoint: dynamo.endpoint, name: tableName },
    archive: { endpoint: s3.endpoint, bucket: auditBucket },
    settled: stream.settled,
    fireSchedules: async () => {
      await Promise.all(scheduled.map((schedule) => schedule.fire()));
    },
    close: async () => {
      for (const schedule of scheduled) schedule.stop();
      await Promise.all(scheduled.map((schedule) => schedule.done()));
      await front.close();
      await stream.settled();
      documentClient().destroy();
      await dynamo.close();
      await s3.close();
    },
  };
}

const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

/** A method API Gateway answers by invoking a function, by the function's name. */
export type GatewayRoute = { method: string; path: string; fn: string };

/** What the front answers with: the routes, a handler per function, the CORS origins. */
export const gatewayFor = (
  specs: readonly GatewayRoute[],
  handlers: Record<string, Handler>,
  origins: string[],
  log: Logger,
): Gateway => ({
  log,
  handlers,
  table: specs.map(compile).sort(byLiteralFirst),
  resources: resourcesOf(specs),
  origins,
});

/**
 * The HTTP front, listening on 127.0.0.1: answers 503 until given its gateway (so the address is
 * known before the functions that link to it are loaded), then as API Gateway would.
 */
export async function listenGateway(
  port: number,
  log: Logger,
): Promise<{ url: string; serve(gateway: Gateway): void; close(): Promise<void> }> {
  let serve = async (exchange: Exchange): Promise<void> =>
    refuse(exchange, log, 503, 'the service is starting: try again shortly', {
      headers: { 'Retry-After': '1' },
    });
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const exchange = {
      req,
      res,
      method: req.method ?? 'GET',
      requestId: randomUUID(),
      startedAt: performance.now(),
    };
    // As API Gateway does, so a caller can quote the request and it can be found in the log.
    res.setHeader('x-amzn-RequestId', exchange.requestId);
    serve(exchange).catch((error: unknown) => {
      log.error('local runtime failure', { error: (error as Error).name, requestId: exchange.requestId });
      if (res.headersSent) res.destroy();
      else refuse(exchange, log, 500, 'the local runtime failed; nothing was changed');
    });
  };
  const server = createServer(onRequest);
  // Asked to confirm before a body is sent: a body over the limit is refused before it is sent.
  server.on('checkContinue', onRequest);
  server.on('clientError', (error: ClientError, socket: Duplex) => answerClientError(error, socket, log));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    serve: (gateway) => {
      serve = (exchange) => dispatch(exchange, gateway);
    },
    close: () => closeServer(server),
  };
}

type Exchange = {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  requestId: string;
  startedAt: number;
};

export type Gateway = {
  log: Logger;
  handlers: Record<string, Handler>;
  table: ReturnType<typeof compile>[];
  resources: ReturnType<typeof resourcesOf>;
  origins: string[];
};

/** API Gateway's own error answers are problem+json too (infra/constructs/api.ts). */
const problemHeaders = { 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store' };
const problemText = (status: number, detail: string) =>
  JSON.stringify(problemBody(status, titleOf(status), detail));

/** An answer the runtime gives itself, as API Gateway would without invoking a function. */
const refuse = (
  { res, method, requestId, startedAt }: Exchange,
  log: Logger,
  status: number,
  detail: string,
  { route = null, headers = {} }: { route?: string | null; headers?: Record<string, string> } = {},
) => {
  res.writeHead(status, { ...problemHeaders, ...headers });
  res.end(problemText(status, detail));
  logRequest(log, { method, route, status, requestId }, startedAt);
};

/** Node's own answers to requests it cannot parse are bare; these are problems, and close the connection. */
const clientErrorStatus: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};
const clientErrorDetail: Record<number, string> = {
  431: 'the request line and headers are larger than 16 KB',
  413: 'the chunk extensions are too large',
  408: 'the request was not received in time',
  400: 'the request is not valid HTTP',
};
const answered = new WeakSet<Duplex>();
/** Node attaches the bytes it failed to parse. */
type ClientError = NodeJS.ErrnoException & { rawPacket?: Buffer };

function answerClientError(error: ClientError, socket: Duplex, log: Logger): void {
  // Answered already: what else the client sends fails to parse again, and is dropped.
  if (answered.has(socket)) return;
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  answered.add(socket);
  const startedAt = performance.now();
  const status = clientErrorStatus[error.code ?? ''] ?? 400;
  // A HEAD must be answered without a body, or its client misreads the connection. The bytes
  // that failed to parse usually begin with the request line (unless it came in pieces).
  const method = /^([A-Z]+) /.exec(error.rawPacket?.subarray(0, 16).toString('latin1') ?? '')?.[1] ?? null;
  const body = problemText(status, clientErrorDetail[status] ?? 'the request is not valid HTTP');
  const requestId = randomUUID();
  const head = Object.entries({
    ...problemHeaders,
    'Content-Length': String(Buffer.byteLength(body)),
    'x-amzn-RequestId': requestId,
    Connection: 'close',
  }).map(([name, value]) => `${name}: ${value}\r\n`);
  // Ends rather than destroys: the rest of what the client sends is read and dropped for a moment,
  // so its kernel does not reset the connection before it has read the answer.
  socket.end(`HTTP/1.1 ${status} ${titleOf(status)}\r\n${head.join('')}\r\n${method === 'HEAD' ? '' : body}`);
  setTimeout(() => socket.destroy(), 1000).unref();
  logRequest(log, { method, route: null, status, requestId }, startedAt);
}

type Body = { body: string | null } | { tooLarge: true; close: boolean };

/**
 * Reads the body, keeping at most `maxRequestBytes`. Anything larger is read to its end and
 * dropped, so the 413 is read by every client and the connection stays usable; a body past API
 * Gateway's quota, or one the client offered to hold back (`Expect: 100-continue`), is refused
 * at once and the connection closed.
 */
function readBody(req: IncomingMessage, res: ServerResponse): Promise<Body> {
  const declared = Number(req.headers['content-length'] ?? 0);
  const expectsContinue = /100-continue/i.test(req.headers.expect ?? '');
  if (declared > (expectsContinue ? maxRequestBytes : gatewayPayloadBytes))
    return Promise.resolve({ tooLarge: true, close: true });
  if (expectsContinue) res.writeContinue();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > gatewayPayloadBytes) {
        // Not destroyed: that would reset the connection before the 413 is read.
        req.off('data', onData);
        req.pause();
        resolve({ tooLarge: true, close: true });
      } else if (size <= maxRequestBytes) chunks.push(chunk);
    };
    req.on('data', onData);
    // A client that goes away mid-body: 'close' without 'end'.
    req.once('close', () => {
      if (!req.complete) reject(new Error('the client closed the connection'));
    });
    req.once('end', () =>
      resolve(
        size > maxRequestBytes
          ? { tooLarge: true, close: false }
          : { body: chunks.length ? Buffer.concat(chunks).toString('utf8') : null },
      ),
    );
    req.once('error', reject);
  });
}

/** The decoded path and the query, as API Gateway hands them to a function; undefined if unreadable. */
const readTarget = (target: string) => {
  try {
    // Joined, not resolved: `//x` is a path here, not a host.
    const url = new URL(target.startsWith('/') ? `http://localhost${target}` : target);
    const multiQuery: Record<string, string[]> = {};
    for (const [name, value] of url.searchParams) multiQuery[name] = [...(multiQuery[name] ?? []), value];
    return {
      path: decodeURIComponent(url.pathname).replace(/(.)\/$/, '$1'),
      // As API Gateway: the last value of a repeated parameter, and every value in the multi-value map.
      query: Object.fromEntries(url.searchParams),
      multiQuery,
    };
  } catch {
    return undefined;
  }
};

/** The methods a path answers, for `Allow`: HEAD wherever GET is, OPTIONS everywhere. */
const allowOf = (matching: readonly GatewayRoute[]) => {
  const methods = new Set(matching.map((r) => r.method) as string[]);
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods, 'OPTIONS'].join(', ');
};

async function dispatch(exchange: Exchange, gateway: Gateway): Promise<void> {
  const { req, res, method, requestId } = exchange;
  const { log } = gateway;
  let read: Body;
  try {
    read = await readBody(req, res);
  } catch {
    // The client went away mid-body: nothing to answer. 499 is nginx's "client closed request".
    logRequest(log, { method, route: null, status: 499, requestId }, exchange.startedAt);
    return;
  }
  if ('tooLarge' in read) {
    return refuse(exchange, log, 413, 'the request body is too large', {
      headers: read.close ? { Connection: 'close' } : {},
    });
  }
  const target = readTarget(req.url ?? '/');
  if (!target) {
    return refuse(exchange, log, 400, 'the request path is not valid: check its % escapes');
  }
  const { path, query, multiQuery } = target;

  if (method === 'OPTIONS') {
    const resource = gateway.resources.find((r) => r.pattern.test(path));
    if (!resource) return refuse(exchange, log, 404, `no route for ${method} ${path}`);
    res.writeHead(204, preflightHeaders(req.headers.origin, gateway.origins));
    res.end();
    logRequest(log, { method, route: resource.path, status: 204, requestId }, exchange.startedAt);
    return;
  }
  const matching = gateway.table.filter((r) => r.pattern.test(path));
  const route = matching.find((r) => r.method === method || (method === 'HEAD' && r.method === 'GET'));
  if (!route) {
    if (matching.length === 0) return refuse(exchange, log, 404, `no route for ${method} ${path}`);
    return refuse(exchange, log, 405, `${path} does not answer ${method}`, {
      route: matching[0]?.path ?? null,
      headers: { Allow: allowOf(matching) },
    });
  }

  const headers = Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
  );
  const event = apiEvent({
    method: method as ApiEventInput['method'],
    path,
    resource: route.path,
    headers,
    ...(Object.keys(query).length > 0 && { query, multiQuery }),
    ...(read.body !== null && { body: read.body }),
    sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    requestId,
  });
  let result: APIGatewayProxyResult;
  try {
    result = await (gateway.handlers[route.fn] as Handler)(event, lambdaContext(route.fn, requestId));
  } catch {
    // A function that throws did not get to write its request line (its init failed, say): this is
    // the line. API Gateway answers 502 for a failed integration.
    return refuse(exchange, gateway.log, 502, 'the service could not answer', { route: route.path });
  }
  res.writeHead(result.statusCode, result.headers as Record<string, string>);
  res.end(result.body ?? '');
}
