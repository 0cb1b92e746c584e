/**
 * Every route of the HTTP API (docs/api.md) and the Lambda function that serves it. The CDK stack
 * builds API Gateway methods from this list and the local runtime dispatches with it, so the
 * two can never disagree.
 */
export const httpFunctions = {
  meta: 'functions/http/meta.ts',
  docs: 'functions/http/docs.ts',
  patients: 'functions/http/patients.ts',
  planCommands: 'functions/http/plan-commands.ts',
  planReads: 'functions/http/plan-reads.ts',
  summary: 'functions/http/summary.ts',
  organisations: 'functions/http/organisations.ts',
} as const;
export type HttpFunctionName = keyof typeof httpFunctions;

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT';
export type RouteSpec = { method: HttpMethod; path: string; fn: HttpFunctionName; auth: boolean };

export const routes: readonly RouteSpec[] = [
  { method: 'GET', path: '/health', fn: 'meta', auth: false },
  { method: 'GET', path: '/openapi.json', fn: 'meta', auth: false },
  { method: 'GET', path: '/docs', fn: 'docs', auth: false },
  { method: 'GET', path: '/docs/redoc.standalone.js', fn: 'docs', auth: false },
  { method: 'POST', path: '/patients', fn: 'patients', auth: true },
  { method: 'GET', path: '/patients/{nhs}', fn: 'patients', auth: true },
  { method: 'POST', path: '/patients/{nhs}/plan', fn: 'planCommands', auth: true },
  { method: 'PATCH', path: '/patients/{nhs}/plan', fn: 'planCommands', auth: true },
  { method: 'POST', path: '/patients/{nhs}/plan/submit', fn: 'planCommands', auth: true },
  { method: 'POST', path: '/patients/{nhs}/plan/ratify', fn: 'planCommands', auth: true },
  { method: 'POST', path: '/patients/{nhs}/plan/return', fn: 'planCommands', auth: true },
  { method: 'POST', path: '/patients/{nhs}/plan/withdraw', fn: 'planCommands', auth: true },
  { method: 'POST', path: '/patients/{nhs}/death', fn: 'planCommands', auth: true },
  { method: 'GET', path: '/patients/{nhs}/plan', fn: 'planReads', auth: true },
  { method: 'GET', path: '/patients/{nhs}/plan/versions', fn: 'planReads', auth: true },
  { method: 'GET', path: '/patients/{nhs}/plan/versions/{n}', fn: 'planReads', auth: true },
  { method: 'GET', path: '/patients/{nhs}/access-log', fn: 'planReads', auth: true },
  { method: 'GET', path: '/worklist/ratifications', fn: 'planReads', auth: true },
  { method: 'GET', path: '/break-glass-reports', fn: 'planReads', auth: true },
  { method: 'GET', path: '/patients/{nhs}/plan/summary', fn: 'summary', auth: true },
  { method: 'PUT', path: '/organisations/{ods}', fn: 'organisations', auth: true },
  { method: 'GET', path: '/organisations/{ods}', fn: 'organisations', auth: true },
];
