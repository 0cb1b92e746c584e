import { routes } from '../http/routes.ts';
import { allowedOrigins } from './config.ts';

/** The headers a browser may send and read: the functions answer with these, and so does API Gateway's preflight. */
export const corsAllowHeaders = [
  'Authorization',
  'Content-Type',
  'If-Match',
  'Idempotency-Key',
  'Break-Glass',
];
export const corsExposeHeaders = ['ETag', 'Location'];
/** Every method some route serves, and the preflight itself. */
export const corsAllowMethods = [...new Set(routes.map((r) => r.method)), 'OPTIONS'];
export const corsMaxAgeSeconds = 3600;

/** `ALLOWED_ORIGINS`: the comma list of browser origins. */
export const allowedOriginsFromEnv = allowedOrigins;

/**
 * The answer to a CORS preflight, as API Gateway's mock OPTIONS method (CDK
 * `defaultCorsPreflightOptions`) gives it: always 204; the first allowed origin unless the request
 * comes from one of the others, so a browser on an origin not in the list is refused by the browser.
 */
export const preflightHeaders = (origin: string | undefined, allowed: readonly string[]) => {
  const first = allowed[0] ?? '*';
  const headers: Record<string, string> = {
    'Access-Control-Allow-Headers': corsAllowHeaders.join(','),
    'Access-Control-Allow-Origin': origin !== undefined && allowed.slice(1).includes(origin) ? origin : first,
    'Access-Control-Allow-Methods': corsAllowMethods.join(','),
    'Access-Control-Max-Age': String(corsMaxAgeSeconds),
  };
  if (first !== '*') headers.Vary = 'Origin';
  return headers;
};
