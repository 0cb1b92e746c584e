import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpCors from '@middy/http-cors';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpRouterHandler from '@middy/http-router';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { type Actor, OdsCode } from '../../domain/actor.ts';
import { refuseOutsideLaunch } from '../../domain/launch.ts';
import { isValidNhsNumber, normaliseNhsNumber } from '../../domain/nhs-number.ts';
import { system } from '../../fhir/codes.ts';
import {
  type HttpFunctionName,
  type HttpMethod,
  type RouteEntry,
  type RouteKey,
  type RouteKeyOf,
  routeTable,
} from '../http/routes.ts';
import { serviceSigner } from './composition-root.ts';
import { serviceIdentifier } from './config.ts';
import { allowedOriginsFromEnv, corsAllowHeaders, corsExposeHeaders, preflightHeaders } from './cors.ts';
import {
  createTokenVerifier,
  InsufficientProofing,
  trustedIssuers,
  Unauthenticated,
  UnmappedRole,
} from './identity.ts';
import { logger } from './logger.ts';
import { badRequest, HttpProblem, problemBody, problemFromRefusal, titleOf } from './problem.ts';
import { requestLog } from './request-log.ts';

/** Requests larger than this are refused before parsing: no plan comes near it. */
export const maxBodyBytes = 64 * 1024;

export type ApiRequest = {
  event: APIGatewayProxyEvent;
  context: Context;
  /** The registry's entry of the route being served. */
  route: RouteEntry;
  /** Who asks: from the token, and for a carer the grant they act under once looked up (functions/http/reads.ts `actFor`). */
  actor: Actor;
  params: Record<string, string>;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
};
export type ApiResponse = APIGatewayProxyResult;
type RouteHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<ApiResponse>;
/** A handler bound to a route: it is given the route's registry entry, so reads what it states. */
type BoundHandler = (
  event: APIGatewayProxyEvent,
  context: Context,
  route: RouteEntry,
) => Promise<ApiResponse>;
type Route = { method: HttpMethod; path: string; handler: RouteHandler };
/** What a function binds to each of its routes in the registry (functions/http/routes.ts). */
export type Bindings<F extends HttpFunctionName> = { [K in RouteKeyOf<F>]: { handler: BoundHandler } };

let verifier: ReturnType<typeof createTokenVerifier> | undefined;
const tokenVerifier = () => {
  // The service's own tokens (after a launch) are trusted beside the configured issuers.
  verifier ??= createTokenVerifier(trustedIssuers(), {
    issuer: serviceIdentifier(),
    audience: serviceIdentifier(),
    publicKeys: () => serviceSigner().publicKeys(),
  });
  return verifier;
};

const defined = (record: Record<string, string | undefined> | null | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(record ?? {}).filter((e): e is [string, string] => e[1] !== undefined));

/**
 * The NHS number a FHIR search names: `<param>=https://fhir.nhs.uk/Id/nhs-number|<NHS number>`, as
 * NRL consumers search; 400 for anything else. The launch scope and the handler read it alike.
 */
export const nhsNumberQuery = (query: Record<string, string>, param: string): string => {
  const raw = query[param];
  const [searched, value] = raw?.split('|') ?? [];
  const refuse = (message: string) =>
    badRequest(`${param} must be ${system.nhsNumber}|<NHS number>: ${message}`, [{ path: param, message }]);
  if (raw === undefined) throw refuse('it is missing');
  if (searched !== system.nhsNumber || value === undefined) throw refuse('no other identifier is searched');
  const nhsNumber = normaliseNhsNumber(value);
  if (!isValidNhsNumber(nhsNumber)) throw refuse('is not a valid NHS number');
  return nhsNumber;
};

export const odsParam = (request: ApiRequest): string => {
  const result = OdsCode.safeParse(request.params.ods ?? '');
  if (!result.success)
    throw badRequest('the ODS code in the path is not valid', [
      { path: 'ods', message: 'must be an ODS code: 3 to 10 capital letters and digits' },
    ]);
  return result.data;
};

/**
 * The patient a route is about, for a session launched for one patient (domain/launch.ts): the
 * path's, the query's (`patientInQuery`), or null for a route about no one patient. A route whose
 * patient is in its body (`patientInBody`) is checked by its handler.
 */
const launchScopeRefusal = (
  actor: Actor,
  route: RouteEntry,
  params: Record<string, string>,
  query: Record<string, string>,
) => {
  if (route.patientInBody) return null;
  const patient = route.path.includes('{nhs}')
    ? normaliseNhsNumber(params.nhs ?? '')
    : route.patientInQuery
      ? nhsNumberQuery(query, route.patientInQuery)
      : null;
  return refuseOutsideLaunch(actor, patient);
};

/**
 * Wraps a route that needs a signed-in user: 401 without a valid token, 403 below NHS login P9,
 * with an unmapped national role, or with a launched session's token about another patient.
 */
export const authenticated =
  (handle: (request: ApiRequest) => Promise<ApiResponse>): BoundHandler =>
  async (event, context, route) => {
    const actor = await tokenVerifier().verify(event.headers?.authorization);
    const params = defined(event.pathParameters);
    const query = defined(event.queryStringParameters);
    const outside = launchScopeRefusal(actor, route, params, query);
    if (outside) throw problemFromRefusal(outside);
    return handle({
      event,
      context,
      route,
      actor,
      params,
      query,
      headers: defined(event.headers),
      body: event.body,
    });
  };

export const json = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): ApiResponse => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers },
  body: JSON.stringify(body),
});

export const nhsNumberParam = (request: ApiRequest): string => {
  const nhsNumber = normaliseNhsNumber(request.params.nhs ?? '');
  if (!isValidNhsNumber(nhsNumber)) {
    throw badRequest('the NHS number in the path is not valid', [
      { path: 'nhs', message: 'is not a valid NHS number' },
    ]);
  }
  return nhsNumber;
};

/** `?limit=` (1..200, default 50) and the opaque `next` cursor. */
export const pageParams = (request: ApiRequest): { limit: number; next?: string } => {
  const raw = request.query.limit;
  const limit = raw === undefined ? 50 : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
    throw badRequest('limit must be a whole number from 1 to 200', [
      { path: 'limit', message: 'must be 1 to 200' },
    ]);
  }
  return { limit, ...(request.query.next && { next: request.query.next }) };
};

/** Every change needs the revision it was based on: missing is 428, unreadable is 400. */
export const ifMatchRevision = (request: ApiRequest): number => {
  const header = request.headers['if-match'];
  if (!header) {
    throw new HttpProblem(
      428,
      'Precondition Required',
      'send If-Match with the ETag of the plan you are changing',
    );
  }
  const match = /^(?:W\/)?"?(\d{1,9})"?$/.exec(header.trim());
  if (!match)
    throw badRequest('If-Match must be the ETag of the plan, e.g. "7"', [
      { path: 'If-Match', message: 'not an ETag' },
    ]);
  return Number(match[1]);
};

/**
 * The revision a change was based on, read as the route's registry entry states If-Match:
 * `required` is 428 without it, `optional` is checked only when sent.
 */
export const expectedRevision = (request: ApiRequest): number | undefined => {
  const rule = request.route.reads?.['If-Match'];
  if (!rule) throw new Error(`route ${request.route.key} reads no If-Match in functions/http/routes.ts`);
  return rule === 'optional' && !request.headers['if-match'] ? undefined : ifMatchRevision(request);
};

const bodyLimit = (): middy.MiddlewareObj<APIGatewayProxyEvent> => ({
  before: ({ event }) => {
    const size = event.body ? Buffer.byteLength(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : 0;
    if (size > maxBodyBytes) {
      throw new HttpProblem(
        413,
        'Content Too Large',
        `the request body is larger than ${maxBodyBytes} bytes`,
      );
    }
  },
});

/** Parses JSON only when there is a body: GETs and body-less POSTs pass through. */
const jsonBody = (): middy.MiddlewareObj<APIGatewayProxyEvent> => {
  const parser = httpJsonBodyParser();
  return {
    before: async (request) => {
      if (request.event.body === null || request.event.body === undefined || request.event.body === '')
        return;
      await parser.before?.(request as never);
    },
  };
};

const throttled = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

type Problem = {
  status: number;
  title: string;
  detail: string;
  extra: Record<string, unknown>;
  headers: Record<string, string>;
};
const problem = (status: number, detail: string, extra = {}, headers = {}): Problem => ({
  status,
  title: titleOf(status),
  detail,
  extra,
  headers,
});

/** Maps every failure to problem+json; anything unexpected is logged (by name, not content) and becomes a bare 500. */
export const toProblem = (error: unknown): Problem => {
  if (error instanceof HttpProblem) {
    return {
      status: error.status,
      title: error.title,
      detail: error.message,
      extra: error.extra,
      headers: error.headers,
    };
  }
  if (error instanceof Unauthenticated)
    return problem(401, error.message, {}, { 'WWW-Authenticate': 'Bearer' });
  if (error instanceof InsufficientProofing || error instanceof UnmappedRole)
    return problem(403, error.message);
  const e = error as {
    name?: string;
    statusCode?: number;
    expose?: boolean;
    message?: string;
    cause?: { package?: string };
  };
  if (e.cause?.package === '@middy/http-json-body-parser' && e.statusCode === 415) {
    return problem(
      415,
      'the request body must be JSON: send it with Content-Type: application/json',
      {},
      { Accept: 'application/json' },
    );
  }
  if (e.cause?.package === '@middy/http-json-body-parser' && e.statusCode === 422) {
    return problem(400, 'the request body is not valid JSON', { errors: [] });
  }
  if (typeof e.statusCode === 'number' && e.statusCode < 500 && e.expose)
    return problem(e.statusCode, e.message ?? '');
  if (e.name && throttled.has(e.name)) {
    logger.warn('data store throttled', { error: e.name });
    return problem(503, 'the service is busy: try again shortly', {}, { 'Retry-After': '1' });
  }
  logger.error('unhandled failure', { error: e.name ?? 'unknown' });
  return problem(500, 'something went wrong; nothing was changed');
};

const problemJson = (): middy.MiddlewareObj<APIGatewayProxyEvent, ApiResponse> => ({
  onError: (request) => {
    const { status, title, detail, extra, headers } = toProblem(request.error);
    request.response = {
      statusCode: status,
      headers: { 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store', ...headers },
      body: JSON.stringify(problemBody(status, title, detail, extra)),
    };
  },
});

/** HEAD is GET without the body (RFC 9110), problems included. */
const headWithoutBody = (): middy.MiddlewareObj<APIGatewayProxyEvent, ApiResponse> => {
  const strip = (request: middy.Request<APIGatewayProxyEvent, ApiResponse>) => {
    if (request.event.httpMethod === 'HEAD' && request.response) request.response.body = '';
  };
  return { after: strip, onError: strip };
};

const preflight: RouteHandler = async (event) => ({
  statusCode: 204,
  headers: preflightHeaders(event.headers?.origin, allowedOriginsFromEnv()),
  body: '',
});

/**
 * HEAD wherever GET is, and a CORS preflight on every path: API Gateway answers OPTIONS itself,
 * but a function passed one answers the same.
 */
const withHeadAndPreflight = (routes: Route[]) => [
  ...routes,
  ...routes.filter((r) => r.method === 'GET').map((r) => ({ ...r, method: 'HEAD' as const })),
  ...[...new Set(routes.map((r) => r.path))].map((path) => ({
    method: 'OPTIONS' as const,
    path,
    handler: preflight,
  })),
];

/**
 * One Lambda handler serving function `fn`'s routes behind the shared middleware stack. It binds a
 * handler to each of the registry's routes for `fn` by key: tsc rejects a missing or an extra one.
 */
export const httpApi = <F extends HttpFunctionName>(
  fn: F,
  bindings: Bindings<F>,
  options: {
    securityHeaders?: Parameters<typeof httpSecurityHeaders>[0];
    /** `raw`: the handlers read the body themselves (a form-encoded OAuth request), no JSON parsing. */
    body?: 'json' | 'raw';
  } = {},
) => {
  const routes: Route[] = Object.entries(bindings as Record<RouteKey, { handler: BoundHandler }>).map(
    ([key, { handler }]) => {
      const route = routeTable[key as RouteKey];
      if (route?.fn !== fn) throw new Error(`route ${key} is not one of ${fn}'s in functions/http/routes.ts`);
      const entry: RouteEntry = { key: key as RouteKey, ...route };
      return {
        method: route.method,
        path: route.path,
        handler: (event, context) => handler(event, context, entry),
      };
    },
  );
  return middy<APIGatewayProxyEvent, ApiResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(requestLog(logger))
    .use(httpHeaderNormalizer())
    .use(
      httpCors({
        origins: allowedOriginsFromEnv(),
        headers: corsAllowHeaders.join(','),
        exposeHeaders: corsExposeHeaders.join(','),
      }),
    )
    .use(httpSecurityHeaders(options.securityHeaders))
    .use(headWithoutBody())
    .use(problemJson())
    .use(bodyLimit())
    .use(options.body === 'raw' ? [] : [jsonBody()])
    .handler(
      httpRouterHandler({
        routes: withHeadAndPreflight(routes),
        notFoundResponse: ({ method, path }) => {
          throw new HttpProblem(404, 'Not Found', `no route for ${method} ${path}`);
        },
      }) as never,
    );
};
