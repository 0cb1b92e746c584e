import type { Logger } from '@aws-lambda-powertools/logger';
import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

/** One line per request: what was asked of which route, the answer and how long it took. */
export type RequestLine = {
  /** Null when the request could not even be parsed. */
  method: string | null;
  /** The route template (`/patients/{nhs}/plan`), null when none matched: never the path, which holds NHS numbers. */
  route: string | null;
  status: number;
  durationMs: number;
  /** API Gateway's request id: what a caller quotes (`x-amzn-RequestId`). */
  requestId: string;
};

const elapsed = (since: number) => Math.round((performance.now() - since) * 10) / 10;

/** Writes the request line: ids, template and outcome only, never the query, headers or body. */
export const logRequest = (
  target: Logger,
  line: Omit<RequestLine, 'durationMs'>,
  startedAt: number,
  extra: Record<string, unknown> = {},
) => target.info('request', { ...line, durationMs: elapsed(startedAt), ...extra });

/**
 * The request line of a Lambda invocation, from the outermost middleware so it sees the final
 * answer, problem+json included.
 */
export const requestLog = (
  target: Logger,
): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context> => {
  const startedAt = new WeakMap<object, number>();
  const write = (request: middy.Request<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>) => {
    const { event, context } = request;
    logRequest(
      target,
      {
        method: event.httpMethod,
        route: event.resource ?? null,
        status: request.response?.statusCode ?? 500,
        requestId: event.requestContext?.requestId ?? 'unknown',
      },
      startedAt.get(request) ?? performance.now(),
      // Named here as well as by injectLambdaContext: one machine runs invocations concurrently
      // in one process, where the logger's injected context belongs to whichever began last.
      { function_request_id: context.awsRequestId },
    );
  };
  return {
    before: (request) => {
      startedAt.set(request, performance.now());
    },
    after: write,
    onError: write,
  };
};
