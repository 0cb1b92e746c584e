/**
 * The route registry: every route of the HTTP API (docs/api.md), keyed by its operationId, with
 * the Lambda function that serves it and the headers it reads and sends. The CDK stack builds API
 * Gateway methods from it, the local runtime dispatches with it, each handler binds its routes to
 * it by key (`httpApi`), and openapi.ts documents it: none of them can disagree.
 *
 * It holds no schema and no prose, so every function can carry it: the request and response
 * schemas and the reference text are in openapi.ts, typed by the same keys.
 */
export const httpFunctions = {
  meta: 'functions/http/meta.ts',
  docs: 'functions/http/docs.ts',
  patients: 'functions/http/patients.ts',
  planCommands: 'functions/http/plan-commands.ts',
  planReads: 'functions/http/plan-reads.ts',
  summary: 'functions/http/summary.ts',
  organisations: 'functions/http/organisations.ts',
  tokens: 'functions/http/tokens.ts',
  hostSystems: 'functions/http/host-systems.ts',
  patientSearch: 'functions/http/patient-search.ts',
  reports: 'functions/http/reports.ts',
} as const;
export type HttpFunctionName = keyof typeof httpFunctions;

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
export type RouteSpec = {
  method: HttpMethod;
  path: string;
  fn: HttpFunctionName;
  /** Needs a bearer token; the others are public. */
  auth: boolean;
  /** Request headers it reads: `If-Match` required (428 without) or checked when sent. */
  reads?: {
    'If-Match'?: 'required' | 'optional';
    /** A creating POST: a retry with the same key and body gets the first answer again. */
    'Idempotency-Key'?: 'optional';
    /** Staff outside the care team may read with a reason: flagged and reported. */
    'Break-Glass'?: 'optional';
  };
  /** Response headers of its success: the revision as `ETag`, the created thing's `Location`. */
  sends?: readonly ('ETag' | 'Location')[];
  /** An audited read: `?purpose=` goes into the access record. */
  purpose?: true;
  /** A list: `?limit=` and `?next=`. */
  paged?: true;
  /**
   * The patient it is about is in its body, not its path: the handler checks a launched session's
   * patient (domain/launch.ts). Any other route without `{nhs}` (or `patientInQuery`) is about no one patient.
   */
  patientInBody?: true;
  /**
   * The patient it is about is named by this query parameter, a FHIR token
   * `https://fhir.nhs.uk/Id/nhs-number|<NHS number>` (as NRL consumers search), not by its path:
   * a launched session's patient is checked against it like the path's.
   */
  patientInQuery?: 'subject:identifier';
};

const breakGlassRead = { reads: { 'Break-Glass': 'optional' }, purpose: true } as const;
const planChange = { reads: { 'If-Match': 'required' }, sends: ['ETag'] } as const;

export const routeTable = {
  getHealth: { method: 'GET', path: '/health', fn: 'meta', auth: false },
  getOpenApiDocument: { method: 'GET', path: '/openapi.json', fn: 'meta', auth: false },
  getApiReference: { method: 'GET', path: '/docs', fn: 'docs', auth: false },
  getApiReferenceScript: { method: 'GET', path: '/docs/redoc.standalone.js', fn: 'docs', auth: false },
  enrolPatient: {
    method: 'POST',
    path: '/patients',
    fn: 'patients',
    auth: true,
    reads: { 'Idempotency-Key': 'optional' },
    sends: ['Location'],
    patientInBody: true,
  },
  getPatient: { method: 'GET', path: '/patients/{nhs}', fn: 'patients', auth: true, ...breakGlassRead },
  // Each match is an audited read: the purpose and any break-glass reason go into its access record.
  searchPatients: { method: 'GET', path: '/patients', fn: 'patientSearch', auth: true, ...breakGlassRead },
  createPlan: {
    method: 'POST',
    path: '/patients/{nhs}/plan',
    fn: 'planCommands',
    auth: true,
    reads: { 'Idempotency-Key': 'optional' },
    sends: ['ETag', 'Location'],
  },
  editPlan: { method: 'PATCH', path: '/patients/{nhs}/plan', fn: 'planCommands', auth: true, ...planChange },
  submitPlan: {
    method: 'POST',
    path: '/patients/{nhs}/plan/submit',
    fn: 'planCommands',
    auth: true,
    ...planChange,
  },
  ratifyPlan: {
    method: 'POST',
    path: '/patients/{nhs}/plan/ratify',
    fn: 'planCommands',
    auth: true,
    ...planChange,
  },
  returnPlan: {
    method: 'POST',
    path: '/patients/{nhs}/plan/return',
    fn: 'planCommands',
    auth: true,
    ...planChange,
  },
  withdrawPlan: {
    method: 'POST',
    path: '/patients/{nhs}/plan/withdraw',
    fn: 'planCommands',
    auth: true,
    ...planChange,
  },
  recordDeath: {
    method: 'POST',
    path: '/patients/{nhs}/death',
    fn: 'planCommands',
    auth: true,
    // A crew recording a death has no plan revision in hand: checked when sent.
    reads: { 'If-Match': 'optional' },
    sends: ['ETag'],
  },
  getPlan: {
    method: 'GET',
    path: '/patients/{nhs}/plan',
    fn: 'planReads',
    auth: true,
    ...breakGlassRead,
    sends: ['ETag'],
  },
  getPlanFhir: {
    method: 'GET',
    path: '/patients/{nhs}/plan/fhir',
    fn: 'planReads',
    auth: true,
    ...breakGlassRead,
  },
  searchDocumentReferences: {
    method: 'GET',
    path: '/DocumentReference',
    fn: 'planReads',
    auth: true,
    ...breakGlassRead,
    patientInQuery: 'subject:identifier',
  },
  listPlanVersions: {
    method: 'GET',
    path: '/patients/{nhs}/plan/versions',
    fn: 'planReads',
    auth: true,
    ...breakGlassRead,
    paged: true,
  },
  getPlanVersion: {
    method: 'GET',
    path: '/patients/{nhs}/plan/versions/{n}',
    fn: 'planReads',
    auth: true,
    ...breakGlassRead,
  },
  getAccessLog: {
    method: 'GET',
    path: '/patients/{nhs}/access-log',
    fn: 'planReads',
    auth: true,
    paged: true,
  },
  listRatifications: {
    method: 'GET',
    path: '/worklist/ratifications',
    fn: 'planReads',
    auth: true,
    paged: true,
  },
  listReviews: {
    method: 'GET',
    path: '/worklist/reviews',
    fn: 'reports',
    auth: true,
    paged: true,
  },
  getOutcomeReport: { method: 'GET', path: '/reports/outcomes', fn: 'reports', auth: true },
  listBreakGlassReports: {
    method: 'GET',
    path: '/break-glass-reports',
    fn: 'planReads',
    auth: true,
    paged: true,
  },
  getCrisisSummary: {
    method: 'GET',
    path: '/patients/{nhs}/plan/summary',
    fn: 'summary',
    auth: true,
    ...breakGlassRead,
  },
  listCarers: { method: 'GET', path: '/patients/{nhs}/carers', fn: 'planReads', auth: true, purpose: true },
  grantCarer: {
    method: 'POST',
    path: '/patients/{nhs}/carers',
    fn: 'planCommands',
    auth: true,
    sends: ['Location'],
  },
  revokeCarer: {
    method: 'DELETE',
    path: '/patients/{nhs}/carers/{grantId}',
    fn: 'planCommands',
    auth: true,
  },
  getCareTeam: {
    method: 'GET',
    path: '/patients/{nhs}/care-team',
    fn: 'planReads',
    auth: true,
    purpose: true,
  },
  // No If-Match: adding or removing one organisation commutes with any other change, so the
  // handler re-reads and retries when another revision wins the race, and nothing is lost.
  addToCareTeam: {
    method: 'PUT',
    path: '/patients/{nhs}/care-team/{ods}',
    fn: 'planCommands',
    auth: true,
    sends: ['ETag'],
  },
  removeFromCareTeam: {
    method: 'DELETE',
    path: '/patients/{nhs}/care-team/{ods}',
    fn: 'planCommands',
    auth: true,
    sends: ['ETag'],
  },
  listOrganisationPatients: {
    method: 'GET',
    path: '/organisations/{ods}/patients',
    fn: 'planReads',
    auth: true,
    paged: true,
  },
  putOrganisation: {
    method: 'PUT',
    path: '/organisations/{ods}',
    fn: 'organisations',
    auth: true,
    reads: { 'If-Match': 'optional' },
    sends: ['ETag'],
  },
  getOrganisation: {
    method: 'GET',
    path: '/organisations/{ods}',
    fn: 'organisations',
    auth: true,
    sends: ['ETag'],
  },
  getServiceKeys: { method: 'GET', path: '/.well-known/jwks.json', fn: 'tokens', auth: false },
  // Public: the host's signed assertion is the credential (RFC 8693 token exchange).
  exchangeToken: { method: 'POST', path: '/token', fn: 'tokens', auth: false },
  putHostSystem: {
    method: 'PUT',
    path: '/host-systems/{id}',
    fn: 'hostSystems',
    auth: true,
    reads: { 'If-Match': 'optional' },
    sends: ['ETag'],
  },
  getHostSystem: {
    method: 'GET',
    path: '/host-systems/{id}',
    fn: 'hostSystems',
    auth: true,
    sends: ['ETag'],
  },
} as const satisfies Record<string, RouteSpec>;

/** A route's stable key: its operationId in the OpenAPI document. */
export type RouteKey = keyof typeof routeTable;
/** The keys of the routes one function serves. */
export type RouteKeyOf<F extends HttpFunctionName> = {
  [K in RouteKey]: (typeof routeTable)[K]['fn'] extends F ? K : never;
}[RouteKey];

export type RouteEntry = RouteSpec & { key: RouteKey };
/** Every route, in the registry's order. */
export const routes: readonly RouteEntry[] = Object.entries(routeTable).map(([key, spec]) => ({
  key: key as RouteKey,
  ...(spec as RouteSpec),
}));
