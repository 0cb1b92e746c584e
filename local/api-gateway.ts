import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { routes } from '../functions/http/routes.ts';

/** A route template as a pattern over decoded paths: each `{param}` is one segment. */
export const templatePattern = (template: string): RegExp =>
  new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);

const templates = routes.map((r) => ({ path: r.path, pattern: templatePattern(r.path) }));

/**
 * API Gateway REST (v1) proxy events, as the real integration sends them: the local runtime,
 * the tests and the benchmarks all call the handlers with these. The route is resolved by the
 * handler's middy http-router from `path`, so `pathParameters` is null here.
 */
export type ApiEventInput = {
  method: 'GET' | 'HEAD' | 'OPTIONS' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  /** The route template, e.g. `/patients/{nhs}/plan`; defaults to the template the path matches. */
  resource?: string;
  /** A bearer token: sent as `Authorization: Bearer <token>`. */
  token?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  /** Every value of each query parameter, as `multiValueQueryStringParameters`; each of `query` once if absent. */
  multiQuery?: Record<string, string[]>;
  /** An object is sent as JSON with `Content-Type: application/json`; a string as is. */
  body?: unknown;
  sourceIp?: string;
  requestId?: string;
};

export const apiEvent = (input: ApiEventInput): APIGatewayProxyEvent => {
  const headers: Record<string, string> = {
    ...(input.token !== undefined && { Authorization: `Bearer ${input.token}` }),
    ...(input.body !== undefined && typeof input.body !== 'string' && { 'Content-Type': 'application/json' }),
    ...input.headers,
  };
  const body =
    input.body === undefined
      ? null
      : typeof input.body === 'string'
        ? input.body
        : JSON.stringify(input.body);
  const multi = (record: Record<string, string>) =>
    Object.fromEntries(Object.entries(record).map(([k, v]) => [k, [v]]));
  const resource = input.resource ?? templates.find((t) => t.pattern.test(input.path))?.path ?? input.path;
  return {
    resource,
    path: input.path,
    httpMethod: input.method,
    headers,
    multiValueHeaders: multi(headers),
    queryStringParameters: input.query ?? null,
    multiValueQueryStringParameters: input.multiQuery ?? (input.query ? multi(input.query) : null),
    pathParameters: null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'test-api',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: input.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: input.sourceIp ?? '127.0.0.1',
        user: null,
        userAgent: input.headers?.['user-agent'] ?? null,
        userArn: null,
      },
      path: `/v1${input.path}`,
      stage: 'v1',
      requestId: input.requestId ?? randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'abc123',
      resourcePath: resource,
    },
  };
};

/** A Lambda context with the remaining time a real invocation would report. */
export const lambdaContext = (functionName = 'ucp-local', awsRequestId: string = randomUUID()): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:eu-west-2:123456789012:function:${functionName}`,
  memoryLimitInMB: '256',
  awsRequestId,
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: '2026/11/21/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Invokes a Middy handler and parses its JSON body. */
export const invoke = async (handler: Handler, input: ApiEventInput) => {
  const response = await handler(apiEvent(input), lambdaContext());
  const headers = Object.fromEntries(
    Object.entries(response.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  return {
    status: response.statusCode,
    headers,
    raw: response.body,
    body: response.body ? (JSON.parse(response.body) as Record<string, unknown>) : undefined,
  };
};
