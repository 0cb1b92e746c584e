import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

/**
 * API Gateway REST (v1) proxy events, as the real integration sends them: the route is resolved
 * by the handler's middy http-router from `path`, so `pathParameters` is null here.
 */
export type ApiEventInput = {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  /** The route template, e.g. `/patients/{nhs}/plan`; defaults to the path. */
  resource?: string;
  /** A bearer token: sent as `Authorization: Bearer <token>`. */
  token?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  /** An object is sent as JSON with `Content-Type: application/json`; a string as is. */
  body?: unknown;
};

export const apiEvent = (input: ApiEventInput): APIGatewayProxyEvent => {
  const headers: Record<string, string> = {
    Host: 'api.example.nhs.uk',
    'User-Agent': 'vitest',
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
  return {
    resource: input.resource ?? input.path,
    path: input.path,
    httpMethod: input.method,
    headers,
    multiValueHeaders: multi(headers),
    queryStringParameters: input.query ?? null,
    multiValueQueryStringParameters: input.query ? multi(input.query) : null,
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
        sourceIp: '192.0.2.1',
        user: null,
        userAgent: 'vitest',
        userArn: null,
      },
      path: `/v1${input.path}`,
      stage: 'v1',
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      requestTimeEpoch: Date.parse('2026-11-21T10:00:00.000Z'),
      resourceId: 'abc123',
      resourcePath: input.resource ?? input.path,
    },
  };
};

/** A Lambda context with the remaining time a real invocation would report. */
export const lambdaContext = (): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'ucp-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-2:123456789012:function:ucp-test',
  memoryLimitInMB: '256',
  awsRequestId: 'b7f0a9c2-0000-4000-8000-000000000001',
  logGroupName: '/aws/lambda/ucp-test',
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
