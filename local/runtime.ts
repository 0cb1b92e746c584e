import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { type HttpFunctionName, httpFunctions, type RouteSpec, routes } from '../functions/http/routes.ts';
import { type ApiEventInput, apiEvent, lambdaContext } from './api-gateway.ts';
import { createLocalBus } from './bus.ts';
import { ensureDevIssuer } from './dev-issuer.ts';
import { ensureTable, localDynamoClientConfig, startDynamo } from './dynamo.ts';
import { folderMailer } from './outbox.ts';
import { startS3 } from './s3.ts';
import { attachLocalStream } from './stream.ts';

export type LocalRuntimeOptions = {
  dataDir: string;
  port?: number;
  /** Keep the data in memory (tests); otherwise it persists under dataDir. */
  inMemory?: boolean;
  allowedOrigins?: string;
};

export type LocalRuntime = {
  url: string;
  /** Where the audit archive's S3-protocol server listens, and its bucket. */
  archive: { endpoint: string; bucket: string };
  close(): Promise<void>;
  settled(): Promise<void>;
};

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** API Gateway allows 10 MB; the handlers refuse much less, this only bounds memory. */
const maxRequestBytes = 1024 * 1024;

const compile = (route: RouteSpec) => ({
  ...route,
  pattern: new RegExp(`^${route.path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
});

/**
 * The whole service on one machine, no AWS: dynalite for DynamoDB, the dev token issuer, and an
 * HTTP server that turns each request into the API Gateway REST (v1) proxy event the same
 * Lambda handlers receive in AWS.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  mkdirSync(options.dataDir, { recursive: true });
  const dynamo = await startDynamo(options.inMemory ? {} : { path: join(options.dataDir, 'dynamodb') });
  const tableName = 'urgent-care-plans';
  const auditBucket = 'urgent-care-plans-audit';
  const s3 = await startS3({ directory: join(options.dataDir, 's3'), buckets: [auditBucket] });
  const issuer = ensureDevIssuer(options.dataDir);
  Object.assign(process.env, {
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    S3_ENDPOINT: s3.endpoint,
    AUDIT_BUCKET: auditBucket,
    AWS_REGION: 'eu-west-2',
    // s3rver accepts only its own access key; dynalite accepts any.
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    TRUSTED_ISSUERS: JSON.stringify(issuer.trustedIssuers),
    ALLOWED_ORIGINS: options.allowedOrigins ?? process.env.ALLOWED_ORIGINS ?? 'http://localhost:5173',
  });
  const admin = new DynamoDBClient(localDynamoClientConfig(dynamo.endpoint));
  await ensureTable(admin, tableName);
  admin.destroy();

  // The server listens first: notifications link to its address.
  let serve: (req: IncomingMessage, res: ServerResponse) => Promise<void> = async (_req, res) =>
    problem(res, 503, 'Service Unavailable', 'starting');
  const server = createServer((req, res) => {
    serve(req, res).catch(() => {
      if (!res.headersSent) problem(res, 500, 'Internal Server Error', 'local runtime failure');
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (err: unknown) => {
    // A port in use (say) fails the start with nothing left running: the caller reports it.
    await Promise.all([dynamo.close(), s3.close()]);
    throw err;
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // Loaded only now, so every module reads the environment set above.
  const { documentClient, planRepository } = await import('../functions/platform/dynamo.ts');
  const projections = await import('../functions/consumers/projections.ts');
  const { createRelay } = await import('../functions/consumers/relay.ts');
  const auditArchive = await import('../functions/consumers/audit-archive.ts');
  const { createNotificationHandler } = await import('../functions/consumers/notifications.ts');
  const bus = createLocalBus({
    auditArchive: auditArchive.handler,
    notifications: createNotificationHandler({
      mailer: folderMailer(join(options.dataDir, 'outbox')),
      serviceUrl: url,
      repository: planRepository(),
    }),
  });
  const relay = createRelay(bus, 'local', { maxAttempts: 1, baseDelayMs: 0, sleep: async () => undefined });
  const stream = attachLocalStream(documentClient(), [projections.handler, relay]);
  const handlers = Object.fromEntries(
    await Promise.all(
      Object.entries(httpFunctions).map(async ([name, entry]) => [
        name,
        (await import(new URL(`../${entry}`, import.meta.url).href)).handler as Handler,
      ]),
    ),
  ) as Record<HttpFunctionName, Handler>;
  const table = routes.map(compile);
  serve = (req, res) => dispatch(req, res, table, handlers);
  return {
    url,
    archive: { endpoint: s3.endpoint, bucket: auditBucket },
    settled: stream.settled,
    close: async () => {
      await closeServer(server);
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

const problem = (res: ServerResponse, status: number, title: string, detail: string) => {
  res.writeHead(status, { 'Content-Type': 'application/problem+json' });
  res.end(JSON.stringify({ type: 'about:blank', title, status, detail }));
};

async function dispatch(
  req: IncomingMessage,
  res: ServerResponse,
  table: ReturnType<typeof compile>[],
  handlers: Record<HttpFunctionName, Handler>,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = decodeURIComponent(url.pathname).replace(/(.)\/$/, '$1');
  const method = req.method ?? 'GET';
  const matching = table.filter((r) => r.pattern.test(path));
  // Preflight goes to the function that owns the path, whose CORS middleware answers it.
  const route = matching.find((r) => r.method === method) ?? (method === 'OPTIONS' ? matching[0] : undefined);
  if (!route)
    return problem(
      res,
      matching.length ? 405 : 404,
      matching.length ? 'Method Not Allowed' : 'Not Found',
      `no route for ${method} ${path}`,
    );

  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxRequestBytes)
      return problem(res, 413, 'Content Too Large', 'the request body is too large');
    chunks.push(chunk as Buffer);
  }
  const body = chunks.length ? Buffer.concat(chunks).toString('utf8') : null;
  const headers = Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
  );
  const query = Object.fromEntries(url.searchParams);
  const event = apiEvent({
    method: method as ApiEventInput['method'],
    path,
    resource: route.path,
    headers,
    ...(Object.keys(query).length > 0 && { query }),
    ...(body !== null && { body }),
    sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
  });
  const context = lambdaContext(route.fn, event.requestContext.requestId);
  const result = await handlers[route.fn](event, context);
  res.writeHead(result.statusCode, result.headers as Record<string, string>);
  res.end(result.body ?? '');
}
