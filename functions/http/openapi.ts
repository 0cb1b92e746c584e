import * as z from 'zod/mini';
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponseObject,
  type ZodOpenApiResponsesObject,
} from 'zod-openapi';
import { OdsCode } from '../../domain/actor.ts';
import { CarerGrantRequest, CarerGrantView } from '../../domain/carers.ts';
import { HostSystem, HostSystemId, RegisteredHostSystem } from '../../domain/host-system.ts';
import { NhsNumber } from '../../domain/nhs-number.ts';
import { Organisation, RegisteredOrganisation } from '../../domain/organisation.ts';
import { OutcomeReport } from '../../domain/outcomes.ts';
import { PatientProfile, PublishedVersion } from '../../domain/plan.ts';
import { genders, maxMatches } from '../../domain/search.ts';
import { CrisisSummary, PlanView } from '../../domain/views.ts';
import {
  AccessLog,
  BreakGlassReports,
  CarerGrants,
  CareTeam,
  CreatePlanBody,
  DeathBody,
  EditPlanBody,
  JoinCareTeamBody,
  LeaveCareTeamBody,
  OrganisationPatients,
  Patient,
  Problem,
  RatifyBody,
  ReturnBody,
  ReviewList,
  RevokeCarerBody,
  SearchResults,
  ServiceKeys,
  SubmitBody,
  TokenError,
  TokenRequest,
  TokenResponse,
  VersionList,
  WithdrawBody,
  Worklist,
} from './contract.ts';
import { type RouteEntry, type RouteKey, routes } from './routes.ts';

/** The groups of the reference, in the order it shows them. */
export const tags = [
  { name: 'Patients', description: 'Enrolment and demographics: a plan belongs to an enrolled patient.' },
  {
    name: 'Plan',
    description:
      'The one plan per patient: read it, write the draft, submit it, ratify or return it, withdraw it, record a death. Every change sends `If-Match` with the plan’s `ETag`.',
  },
  {
    name: 'Plan history',
    description: 'Published versions are immutable and stay readable, numbered 1, 2, 3 and so on.',
  },
  {
    name: 'Urgent care',
    description:
      'What an ambulance crew, NHS 111 or A&E needs in the first minute: the crisis summary of the last published version.',
  },
  {
    name: 'FHIR',
    description:
      'The plan for systems that speak FHIR R4: a published version as a FHIR document, and the record-locator pointers (DocumentReference) an NRL consumer searches. Mapping: docs/fhir.md. Errors are problem+json, as everywhere in this API.',
  },
  {
    name: 'Audit',
    description:
      'Who read or changed a plan, and the break-glass reads of an organisation’s staff. Every read of a plan writes an access record before it answers.',
  },
  {
    name: 'Care network',
    description:
      'Who may act for the patient and who cares for them: carers act only under the patient’s active grant, checked on every request; the care team is kept by its clinicians, and each organisation lists its patients.',
  },
  { name: 'Worklists', description: 'Plans waiting for a clinician: to ratify, to review.' },
  {
    name: 'Reports',
    description:
      'The outcome report: per month and GP practice, live plans, deaths and deaths in the preferred place. Counts only, never a patient.',
  },
  {
    name: 'Organisations',
    description: 'The registry of organisations by ODS code: where notifications are sent. Admins only.',
  },
  {
    name: 'Launch',
    description:
      'Opening a patient’s plan from inside a host system (EMIS Web, say) with no second login: the host signs an assertion about its user and the patient, and exchanges it for a token of this service’s, about that patient only (RFC 8693). Host systems are registered by a service administrator.',
  },
  {
    name: 'Service',
    description: 'Liveness, this reference and the service’s public keys, without a token.',
  },
] as const;
type Tag = (typeof tags)[number]['name'];

type ErrorStatus = 400 | 403 | 404 | 406 | 409 | 422 | 428;

/** The reference's part of a route: its text, and its request and response schemas. */
type Operation = {
  tag: Tag;
  summary: string;
  description: string;
  ok: {
    status: 200 | 201;
    description: string;
    schema: z.ZodMiniType;
    mediaType?: string;
    /** Other media types the same answer is served as, chosen by `Accept`. */
    alternatives?: Record<string, z.ZodMiniType>;
  };
  /** Also answers 201, with the same body and headers, when the write created the thing. */
  created?: string;
  body?: z.ZodMiniType;
  /** The body's media type when it is not JSON. */
  bodyMediaType?: string;
  /** Its errors are RFC 6749 §5.2's (400, `application/json`), not problems. */
  oauthErrors?: z.ZodMiniType;
  query?: z.ZodMiniObject;
  /** The answers particular to this operation; the ones every route of its kind shares are added below. */
  errors?: Partial<Record<ErrorStatus, string>>;
};

const Plan = PlanView;
/** The FHIR answers, outlined: FHIR R4 defines them whole (docs/fhir.md maps each field). */
const FhirDocument = z
  .looseObject({
    resourceType: z.literal('Bundle'),
    type: z.literal('document'),
    identifier: z.object({ system: z.string(), value: z.string() }),
    timestamp: z.iso.datetime(),
    entry: z.array(
      z.looseObject({ fullUrl: z.string(), resource: z.looseObject({ resourceType: z.string() }) }),
    ),
  })
  .register(z.globalRegistry, {
    id: 'FhirDocument',
    description:
      'A FHIR R4 Bundle of type `document`: the Composition first, then every resource it refers to',
  });
const FhirSearchset = z
  .looseObject({
    resourceType: z.literal('Bundle'),
    type: z.literal('searchset'),
    total: z.int(),
    entry: z.array(
      z.looseObject({
        fullUrl: z.string(),
        resource: z.looseObject({ resourceType: z.literal('DocumentReference'), id: z.string() }),
      }),
    ),
  })
  .register(z.globalRegistry, {
    id: 'FhirSearchset',
    description: 'A FHIR R4 Bundle of type `searchset` holding DocumentReferences',
  });
const SignedSummary = z
  .string()
  .check(z.regex(/^[\w-]+\.[\w-]+\.[\w-]+$/))
  .register(z.globalRegistry, {
    id: 'SignedCrisisSummary',
    description:
      'Compact JWS (ES256): header `{alg, typ, kid}`, claims the crisis summary with `iat`, `nbf`, `exp`, `jti`, `planVersion`',
  });
const staffOutsideCareTeam =
  'Staff outside the patient’s care team and outside urgent care get 403 unless they send `Break-Glass`.';

/** Every route's reference, by its key in the registry: tsc insists on one per route, no more. */
export const operations: Record<RouteKey, Operation> = {
  getHealth: {
    tag: 'Service',
    summary: 'Liveness',
    description: 'Answers `{"status":"ok"}` when the function answers; touches no data.',
    ok: { status: 200, description: 'The service is up', schema: z.object({ status: z.literal('ok') }) },
  },
  getOpenApiDocument: {
    tag: 'Service',
    summary: 'The OpenAPI document',
    description:
      'This document, OpenAPI 3.1, generated from the same zod schemas the handlers validate requests with.',
    ok: { status: 200, description: 'The OpenAPI 3.1 document', schema: z.looseObject({}) },
  },
  getApiReference: {
    tag: 'Service',
    summary: 'The API reference (this page)',
    description:
      'A page that renders `openapi.json` with Redoc. Everything it loads comes from this API: no CDN, no fonts from elsewhere, which its Content-Security-Policy enforces.',
    ok: { status: 200, description: 'The HTML page', schema: z.string(), mediaType: 'text/html' },
  },
  getApiReferenceScript: {
    tag: 'Service',
    summary: 'The API reference’s script',
    description:
      'Redoc’s standalone bundle (MIT, its licence notices at the end), served by the API itself so the reference works without the internet.',
    query: z.object({
      v: z.optional(z.string()).register(z.globalRegistry, {
        description: 'The content hash the page asks for: with it, the script may be cached for a year',
      }),
    }),
    ok: { status: 200, description: 'The script', schema: z.string(), mediaType: 'text/javascript' },
  },
  enrolPatient: {
    tag: 'Patients',
    summary: 'Enrol a patient',
    description:
      'Enrols a patient: NHS number, name, birth date, postcode, GP practice (its ODS code, which joins the care team) and, optionally, an email address for notifications. A patient enrols themself; clinicians enrol the patients they care for.',
    body: PatientProfile,
    ok: { status: 201, description: 'Enrolled', schema: Patient },
    errors: {
      403: 'A patient enrolling another NHS number, or a role that does not enrol patients',
      409: 'The patient is already enrolled',
    },
  },
  getPatient: {
    tag: 'Patients',
    summary: 'Demographics',
    description: `The patient’s demographics and when they were enrolled, for their care team, urgent care, the patient and their carers. Audited. ${staffOutsideCareTeam}`,
    ok: { status: 200, description: 'The patient', schema: Patient },
    errors: {
      403: 'Not the patient, their care team or urgent care (the same answer whether or not the patient is enrolled)',
      404: 'No patient with this NHS number is enrolled',
    },
  },
  searchPatients: {
    tag: 'Patients',
    summary: 'Find a patient',
    description: `Finds enrolled patients by name and birth date, with the NHS Personal Demographics Service’s semantics: the family name and the birth date (or a range: \`birthDate=ge1941-01-01&birthDate=le1941-12-31\`) at least; a name may end in a wildcard (\`Byr*\`, two characters before it at least); names are compared without case, accents or punctuation. \`fuzzy=true\` also finds names that sound alike (Double Metaphone: “Smith” finds “Smyth”) and needs the given name, the family name and one birth date. At most ${maxMatches} matches, best first; more is 422. Clinicians and urgent care search; only patients the caller may read are returned (${'`Break-Glass`'} for staff outside the care team), and each is an access record the patient sees (\`found_by_search\`), written before the answer.`,
    query: z.object({
      family: z.string().register(z.globalRegistry, {
        description: 'The family name, or its start followed by `*`',
        example: 'Byr*',
      }),
      given: z.optional(z.string()).register(z.globalRegistry, {
        description: 'A given name, or its start followed by `*`',
        example: 'Ada',
      }),
      birthDate: z.array(z.string()).register(z.globalRegistry, {
        description:
          'The birth date (`YYYY-MM-DD`), or a range as two values prefixed `ge` and `le`; `eq` is the same as none',
        example: ['1941-02-11'],
      }),
      postcode: z.optional(z.string()).register(z.globalRegistry, { example: 'SW1A 1AA' }),
      gender: z.optional(z.enum(genders)),
      fuzzy: z.optional(z.enum(['true', 'false'])).register(z.globalRegistry, {
        description: 'Also match names that sound alike; needs given, family and one birth date',
      }),
    }),
    ok: { status: 200, description: 'The matches the caller may see, best first', schema: SearchResults },
    errors: {
      403: 'Not a clinician or urgent care',
      422: `More than ${maxMatches} matches: narrow the search (given name, exact birth date, postcode, gender)`,
    },
  },
  createPlan: {
    tag: 'Plan',
    summary: 'Create the first draft',
    description:
      'Starts the patient’s plan as a draft, optionally with sections. The patient, their carers with a co-author grant, and the clinicians of the care team may start it.',
    body: CreatePlanBody,
    ok: { status: 201, description: 'The new draft, revision 1', schema: Plan },
    errors: {
      403: 'Not allowed to start this patient’s plan, or a section the caller may not write',
      404: 'The patient is not enrolled: enrol first',
      409: 'The patient already has a plan: change it with PATCH',
    },
  },
  editPlan: {
    tag: 'Plan',
    summary: 'Merge sections into the draft',
    description:
      'Each section given replaces that section of the draft whole; the others are kept. A draft is made from the published version if there is none. Patients and carers write their own sections, clinicians every section; a change by anyone who is not a ratifier waits in the draft until a ratifier publishes it.',
    body: EditPlanBody,
    ok: { status: 200, description: 'The plan after the change', schema: Plan },
    errors: {
      403: 'A section the caller may not write (named in the detail), or not an author of this plan',
      404: 'This patient has no plan',
      409: 'The plan is submitted (locked until ratified or returned), withdrawn, or closed',
      422: 'No section given',
    },
  },
  submitPlan: {
    tag: 'Plan',
    summary: 'Submit for ratification',
    description:
      'Sends the draft to an organisation (by ODS code), optionally to a named clinician there, for ratification; it appears on that organisation’s worklist and the draft is locked for the patient.',
    body: SubmitBody,
    ok: { status: 200, description: 'The plan, submitted', schema: Plan },
    errors: {
      403: 'Not the patient, a carer with a co-author grant, or a clinician of the care team',
      404: 'This patient has no plan',
      409: 'No draft, already submitted, or the plan is withdrawn or closed',
    },
  },
  ratifyPlan: {
    tag: 'Plan',
    summary: 'Publish the draft as the next version',
    description:
      'A ratifier (GP, consultant, specialist nurse) publishes the draft as version N+1: from then on it is what urgent care sees. A ratifier may ratify a draft submitted to their organisation or written by it, never one submitted to another organisation. The body is optional.',
    body: RatifyBody,
    ok: { status: 200, description: 'The plan, published', schema: Plan },
    errors: {
      403: 'Not a ratifier, or the draft was submitted to another organisation',
      404: 'This patient has no plan',
      409: 'No draft to ratify, or the plan is withdrawn or closed',
      422: 'Consent to share is withdrawn in the draft: withdraw the plan instead',
    },
  },
  returnPlan: {
    tag: 'Plan',
    summary: 'Return to the author with comments',
    description:
      'A ratifier of the organisation it was sent to returns a submitted draft to its authors, with comments; it is an editing draft again.',
    body: ReturnBody,
    ok: { status: 200, description: 'The plan, back in draft', schema: Plan },
    errors: {
      403: 'Not a ratifier, or the draft was submitted to another organisation',
      404: 'This patient has no plan',
      409: 'Only a submitted plan can be returned',
    },
  },
  withdrawPlan: {
    tag: 'Plan',
    summary: 'Withdraw consent: stop sharing',
    description:
      'The patient, or a ratifier, withdraws the plan with a reason: it stops being shared at once (the crisis summary answers 404) and its history stays for audit.',
    body: WithdrawBody,
    ok: { status: 200, description: 'The plan, withdrawn', schema: Plan },
    errors: {
      403: 'Not the patient or a ratifier of the care team',
      404: 'This patient has no plan',
      409: 'The plan is already withdrawn or closed',
    },
  },
  recordDeath: {
    tag: 'Plan',
    summary: 'Record a death: the plan is closed',
    description:
      'Records the date and place of death and, where it differs from the preferred place, why; the plan is closed. Ratifiers, paramedics and A&E clinicians record deaths. `If-Match` is checked when sent but not required: a crew recording a death has no plan revision in hand.',
    body: DeathBody,
    ok: { status: 200, description: 'The plan, closed', schema: Plan },
    errors: {
      403: 'A role that does not record deaths',
      404: 'This patient has no plan',
      409: 'A death is already recorded',
      422: 'The date is in the future, or the place differs from the preferred place without `reasonIfNotPreferred`',
    },
  },
  getPlan: {
    tag: 'Plan',
    summary: 'The plan',
    description: `The plan: its status, revision (also the \`ETag\`), the last published version and, for those who may see it (the patient, carers, authors and the ratifier it was sent to), the draft. Audited. ${staffOutsideCareTeam}`,
    ok: { status: 200, description: 'The plan', schema: Plan },
    errors: {
      403: 'Not the patient, a carer with a grant, the care team or urgent care',
      404: 'No plan, or none shared with the caller (a draft, or a withdrawn or closed plan)',
    },
  },
  listPlanVersions: {
    tag: 'Plan history',
    summary: 'Published versions, newest first',
    description: `Each published version’s number, when and by whom it was ratified. Audited. ${staffOutsideCareTeam}`,
    ok: { status: 200, description: 'A page of versions', schema: VersionList },
    errors: {
      403: 'Not the patient, a carer with a grant, the care team or urgent care',
      404: 'No plan, or none shared with the caller',
    },
  },
  getPlanVersion: {
    tag: 'Plan history',
    summary: 'One published version',
    description: `Published version \`n\`, whole and unchanged. Audited. ${staffOutsideCareTeam}`,
    ok: { status: 200, description: 'The version', schema: PublishedVersion },
    errors: {
      403: 'Not the patient, a carer with a grant, the care team or urgent care',
      404: 'No plan shared with the caller, or no such version',
    },
  },
  getCrisisSummary: {
    tag: 'Urgent care',
    summary: 'The crisis summary',
    description: `What a crew needs in the first minute, from the last published version: CPR decision, ceiling of treatment and care priority, preferred place of death, anticipatory medicines, key contacts, home access, the version and when it was ratified. One read, audited with its \`purpose\`. ${staffOutsideCareTeam}`,
    ok: {
      status: 200,
      description:
        'The crisis summary: JSON, or with `Accept: application/jose` a compact JWS of it (ES256, `kid` the key’s RFC 7638 thumbprint in `/.well-known/jwks.json`) whose claims are the summary with `iat`, `nbf`, `exp` (24 hours by default), `jti` and `planVersion`: a copy a crew can check offline (`npm run verify-summary`)',
      schema: CrisisSummary,
      alternatives: { 'application/jose': SignedSummary },
    },
    errors: {
      403: 'Not urgent care, the care team or the patient',
      404: 'No version is published yet, or the plan is withdrawn or closed (then it is not shared)',
    },
  },
  getPlanFhir: {
    tag: 'FHIR',
    summary: 'The plan as a FHIR R4 document',
    description: `A published version (the last, or \`?version=N\`) as a FHIR R4 document Bundle: a Composition typed as an end-of-life care plan (SNOMED CT 736373009), the Patient by NHS number, the CPR decision as a Flag, the ceiling of treatment as a CarePlan, preferences, consent, conditions, allergies, anticipatory medicines and contacts; the ratifier is its author. The same readers and answers as the plan; audited (\`read_plan_fhir\`). Mapping: docs/fhir.md. ${staffOutsideCareTeam}`,
    query: z.object({
      version: z.optional(z.int().check(z.minimum(1))).register(z.globalRegistry, {
        description: 'A published version; the last one when absent',
        example: 2,
        override: { maximum: undefined },
      }),
    }),
    ok: {
      status: 200,
      description: 'The FHIR document Bundle',
      schema: FhirDocument,
      mediaType: 'application/fhir+json',
    },
    errors: {
      403: 'Not the patient, a carer with a grant, the care team or urgent care',
      404: 'No plan shared with the caller, no version published, or no such version',
    },
  },
  searchDocumentReferences: {
    tag: 'FHIR',
    summary: 'Record-locator pointers to a patient’s plan',
    description: `As National Record Locator consumers search: \`subject:identifier=https://fhir.nhs.uk/Id/nhs-number|<NHS number>\` answers a FHIR searchset of DocumentReferences (type SNOMED CT 736373009, category 734163000, the custodian’s ODS code, the URL of the FHIR document of the version in force). Empty while no version is shared, and once the plan is withdrawn or closed. For the care team and urgent care (and the patient); audited (\`search_pointers\`) when the patient has a plan. ${staffOutsideCareTeam}`,
    query: z.object({
      'subject:identifier': z.string().register(z.globalRegistry, {
        description: 'The patient: `https://fhir.nhs.uk/Id/nhs-number|<NHS number>`',
        example: 'https://fhir.nhs.uk/Id/nhs-number|9434765919',
      }),
    }),
    ok: {
      status: 200,
      description: 'The FHIR searchset Bundle',
      schema: FhirSearchset,
      mediaType: 'application/fhir+json',
    },
    errors: {
      400: '`subject:identifier` missing, of another system, or not a valid NHS number',
      403: 'Not the patient, the care team or urgent care (the same answer whether or not the patient is enrolled)',
    },
  },
  getAccessLog: {
    tag: 'Audit',
    summary: 'Who read or changed the plan',
    description:
      'Every read and change of the patient’s plan, newest first: when, who (id, role, organisation), what, the purpose given, and whether it was a break-glass read. The patient and their carers see it all; a privacy officer sees their own organisation’s entries.',
    ok: { status: 200, description: 'A page of the access log', schema: AccessLog },
    errors: {
      403: 'Not the patient, one of their carers, or a privacy officer',
      404: 'No patient with this NHS number is enrolled',
    },
  },
  listRatifications: {
    tag: 'Worklists',
    summary: 'Plans submitted to the caller’s organisation',
    description:
      'The plans waiting for a ratifier of the caller’s organisation, oldest first, with who submitted them and the clinician named, if any.',
    ok: { status: 200, description: 'A page of the worklist', schema: Worklist },
    errors: { 403: 'Not a ratifier (GP, consultant, specialist nurse)' },
  },
  listReviews: {
    tag: 'Worklists',
    summary: 'Reviews falling due',
    description:
      'The plans of the caller’s organisation’s patients (its care teams) whose planned review date, or their CPR decision’s review date, is due within `within` days (default 30) or has passed, soonest first (overdue ones first). From the published version in force; withdrawn and closed plans have none. Clinicians who write plans.',
    query: z.object({
      within: z
        .optional(z.int().check(z.minimum(0), z.maximum(366)))
        .register(z.globalRegistry, { description: 'Days ahead, from today (UK date)', example: 30 }),
    }),
    ok: { status: 200, description: 'A page of reviews', schema: ReviewList },
    errors: { 403: 'Not a clinician who writes plans' },
  },
  getOutcomeReport: {
    tag: 'Reports',
    summary: 'The outcome report',
    description:
      'Per month and GP practice (the patients’ GP practice): live published plans at the month’s end, plans first published, deaths (in the month of the date of death), deaths with a preferred place recorded, deaths in it and their share, deaths in hospital, live plans with a CPR decision and with a ceiling of treatment, and the share dying in their preferred place with and without a ceiling recorded. Shares are null where their denominator is 0. `totals` sums the flows over every row and the live-plan counts at the end of `to`. As CSV (RFC 4180, one header line with the same names) with `Accept: text/csv`. Counted from the revisions, each event once. Clinicians read their own organisation’s; commissioners any organisation’s, or all.',
    query: z.object({
      from: z
        .string()
        .check(z.regex(/^\d{4}-\d{2}$/))
        .register(z.globalRegistry, { example: '2026-10' }),
      to: z
        .string()
        .check(z.regex(/^\d{4}-\d{2}$/))
        .register(z.globalRegistry, { example: '2026-11' }),
      organisation: z.optional(
        OdsCode.clone().register(z.globalRegistry, {
          description: 'One GP practice; a clinician’s own by default, every organisation for a commissioner',
        }),
      ),
    }),
    ok: {
      status: 200,
      description: 'The report',
      schema: OutcomeReport,
      alternatives: {
        'text/csv': z.string().register(z.globalRegistry, {
          description: 'The rows as CSV, with a header line',
          example:
            'month,organisation,livePlans,plansPublished,deaths,deathsWithPreferredPlace,diedInPreferredPlace,diedInPreferredPlaceShare,deathsInHospital,plansWithCprDecision,plansWithCeilingOfTreatment,preferredPlaceShareWithCeiling,preferredPlaceShareWithoutCeiling\r\n2026-11,A81001,12,3,4,4,3,0.75,1,11,9,0.8,0.5\r\n',
        }),
      },
    },
    errors: {
      400: 'from and to are months (YYYY-MM), to not before from, at most 120 months',
      403: 'Not a clinician or a commissioner, or a clinician asking for another organisation',
      406: 'Accept names neither application/json nor text/csv',
    },
  },
  listBreakGlassReports: {
    tag: 'Audit',
    summary: 'Break-glass reads by the caller’s organisation',
    description:
      'For privacy officers: every break-glass read by their organisation’s staff (who, which patient, the reason given), as the email alerting them says.',
    ok: { status: 200, description: 'A page of break-glass reads', schema: BreakGlassReports },
    errors: { 403: 'Not a privacy officer' },
  },
  listCarers: {
    tag: 'Care network',
    summary: 'Who may act for the patient',
    description:
      'The patient’s carer grants, oldest first, each with its `status` as of now (`active`, `revoked`, or `expired` once its last day has passed in the UK). The patient and the care team see every grant; a carer acting for the patient only their own. Audited (`read_carers`).',
    ok: { status: 200, description: 'The grants', schema: CarerGrants },
    errors: {
      403: 'Not the patient, a carer with an active grant, or the care team (the same answer whether or not the patient is enrolled)',
      404: 'No patient with this NHS number is enrolled',
    },
  },
  grantCarer: {
    tag: 'Care network',
    summary: 'Let a carer act for the patient',
    description:
      'Grants a carer, named by their own NHS number (the one their NHS login carries), `read` or `co-author` access until an optional last day. The patient grants under any legal basis; a ratifier of the care team (GP, consultant, specialist nurse) only for a patient who lacks capacity, under a lasting power of attorney for health and welfare or a court-appointed deputyship. A co-author writes the patient’s sections and submits; a reader reads; neither enrols, withdraws, ratifies nor writes a clinician’s section. At most 20 active grants a patient, one per carer. Raises `Carer.Granted`; the patient is emailed.',
    body: CarerGrantRequest,
    ok: { status: 201, description: 'The grant, active', schema: CarerGrantView },
    errors: {
      403: 'Not the patient or a ratifier of the care team',
      404: 'No patient with this NHS number is enrolled',
      409: 'This carer already has an active grant: revoke it first',
      422: 'A clinician granting under the patient’s consent, the patient as their own carer, a last day already passed, or 20 active grants already',
    },
  },
  revokeCarer: {
    tag: 'Care network',
    summary: 'End a carer’s grant',
    description:
      'Revokes the grant at once, with a reason: the carer’s next request is refused. The patient, a ratifier of the care team, or the carer it names may revoke it. A grant is revoked once: of two revocations at the same time, one is 200 and the other 409. Raises `Carer.Revoked`; the patient is emailed.',
    body: RevokeCarerBody,
    ok: { status: 200, description: 'The grant, revoked', schema: CarerGrantView },
    errors: {
      403: 'Not the patient, a ratifier of the care team, or the carer the grant names',
      404: 'The patient has no grant with this id',
      409: 'The grant is already revoked',
    },
  },
  getCareTeam: {
    tag: 'Care network',
    summary: 'Who is in the care team',
    description:
      'Each organisation of the care team: why it is there (`gp_practice`, `author` of the plan, or `added`), since when and by whom, and the reason given. Before any plan, the GP practice and the organisation that enrolled the patient. For the care team, urgent care, the patient and their carers. Audited (`read_care_team`).',
    ok: { status: 200, description: 'The care team', schema: CareTeam },
    errors: {
      403: 'Not the patient, a carer with an active grant, the care team or urgent care',
      404: 'No patient with this NHS number is enrolled',
    },
  },
  addToCareTeam: {
    tag: 'Care network',
    summary: 'Add an organisation to the care team',
    description:
      'A clinician of the care team (contributor or ratifier) adds an organisation, with a reason: its staff may read the plan at once. Written as the next revision of the plan, without `If-Match`: the change commutes with any other, so it is retried on the newest revision and nothing is lost. An organisation already there is 200 and no change. Raises `CareTeam.Joined`; the organisation and the patient are emailed.',
    body: JoinCareTeamBody,
    ok: { status: 200, description: 'Already in the care team: nothing changed', schema: CareTeam },
    created: 'Added: the care team now',
    errors: {
      403: 'Not a clinician of the care team',
      404: 'No patient with this NHS number is enrolled',
      409: 'No plan yet (start the plan first: until then the care team is the GP practice and the organisation that enrolled the patient), or the plan is withdrawn or closed',
    },
  },
  removeFromCareTeam: {
    tag: 'Care network',
    summary: 'Remove an organisation from the care team',
    description:
      'A clinician of the care team, or the patient, removes an organisation (the body and its reason are optional): its staff lose access at once, to drafts as well. The GP practice cannot be removed. Written as the next revision, without `If-Match`, as adding is. Raises `CareTeam.Left`; the organisation and the patient are emailed.',
    body: LeaveCareTeamBody,
    ok: { status: 200, description: 'Removed: the care team now', schema: CareTeam },
    errors: {
      403: 'Not the patient or a clinician of the care team',
      404: 'No patient with this NHS number is enrolled, or the organisation is not in the care team',
      409: 'No plan yet, the plan is withdrawn or closed, or a draft is submitted to this organisation (return it first)',
      422: 'The organisation is the patient’s GP practice',
    },
  },
  listOrganisationPatients: {
    tag: 'Care network',
    summary: 'My organisation’s patients',
    description:
      'The patients whose care team the organisation is in, by NHS number, with the plan’s status (`enrolled` while there is no plan) and review date. For the organisation’s own clinical and care staff. Kept from the plan’s revisions as they are written (eventually consistent, usually within a second).',
    ok: { status: 200, description: 'A page of patients', schema: OrganisationPatients },
    errors: { 403: 'Not clinical or care staff of this organisation' },
  },
  putOrganisation: {
    tag: 'Organisations',
    summary: 'Register or replace an organisation',
    description:
      'Writes the entry whole: the organisation’s name, kind and the addresses it is told at (plans submitted to it, changes to its patients’ plans, break-glass alerts). Registering a new entry needs no `If-Match` (201); replacing one needs its `ETag` (200). A change of address is audited and told to the old address and the new. Its own admin, or a service administrator.',
    body: Organisation,
    ok: { status: 200, description: 'The entry, replaced', schema: RegisteredOrganisation },
    created: 'The entry, registered',
    errors: {
      403: 'Not an admin, or the admin of another organisation',
      428: 'The entry exists: send If-Match with its ETag to replace it',
    },
  },
  getOrganisation: {
    tag: 'Organisations',
    summary: 'An organisation in the registry',
    description:
      'The organisation’s registry entry, with when and by whom it was last written, and its `ETag` for replacing it. Its own admin, or a service administrator.',
    ok: { status: 200, description: 'The organisation', schema: RegisteredOrganisation },
    errors: {
      403: 'Not an admin, or the admin of another organisation',
      404: 'No organisation with this ODS code is registered',
    },
  },
  exchangeToken: {
    tag: 'Launch',
    summary: 'Exchange a host system’s assertion for a token (launch)',
    description:
      'RFC 8693 token exchange, form-encoded. The assertion is checked against its host system’s registered keys (by `kid`), its `aud` against this service, its `exp` (at most 5 minutes ahead), its `ods` against the organisations the host may speak for and its `role` against the host’s role map; its `jti` is accepted once. The answer is a token the service signs itself, valid 15 minutes, about the assertion’s `patient` only: used on any other patient (its carers and care team included, and a `GET /DocumentReference` search naming another patient), or on a worklist, an organisation’s patients, the outcome report, a patient search or a registry, it is 403. The launch is in the patient’s access log (`launched`, `via` the host system) and on the bus (`Session.Launched`), and so is every read made with the token. Errors are RFC 6749’s, never a 5xx: `invalid_request` (the form), `unsupported_grant_type`, `invalid_grant` (the assertion: unknown host, bad signature or key, expired or too long-lived, wrong audience, replayed, unmapped role), `unauthorized_client` (an ODS code the host may not speak for).',
    body: TokenRequest,
    bodyMediaType: 'application/x-www-form-urlencoded',
    oauthErrors: TokenError,
    ok: { status: 200, description: 'The service’s token, about one patient', schema: TokenResponse },
  },
  putHostSystem: {
    tag: 'Launch',
    summary: 'Register or replace a host system',
    description:
      'A host system that may launch users by token exchange: its name, its public keys (`jwks` inline, or `jwksUri` over https), the ODS codes it may speak for, and its role codes mapped to this service’s roles. Without `If-Match` it registers (201); with the entry’s `ETag` it replaces it whole (200). Kept as revisions. Service administrators only.',
    body: HostSystem,
    created: 'Registered',
    ok: { status: 200, description: 'Replaced (or unchanged)', schema: RegisteredHostSystem },
    errors: {
      403: 'Not a service administrator',
      428: 'Replacing an entry without If-Match',
    },
  },
  getHostSystem: {
    tag: 'Launch',
    summary: 'A registered host system',
    description: 'The host system’s entry, with its `ETag` for replacing it. Service administrators only.',
    ok: { status: 200, description: 'The host system', schema: RegisteredHostSystem },
    errors: { 403: 'Not a service administrator', 404: 'No host system with this id is registered' },
  },
  getServiceKeys: {
    tag: 'Service',
    summary: 'The service’s public signing keys',
    description:
      'The JWK Set of the keys the service signs with (ES256 on P-256; `kid` is the key’s RFC 7638 thumbprint): the current key first, then any earlier key still published until what it signed has expired. Verify what the service signs against these; fetch the set again when a `kid` is not in it. Cacheable for 5 minutes.',
    ok: { status: 200, description: 'The JWK Set', schema: ServiceKeys },
  },
};

// Response headers, registered once and referenced by every answer that carries them.
const ETag = z.string().register(z.globalRegistry, {
  description: 'The revision, quoted: send it back as `If-Match` to change what it names',
  example: '"7"',
  header: { id: 'ETag' },
});
const Location = z.string().register(z.globalRegistry, {
  description: 'The path of what was created',
  example: '/patients/9434765919/plan',
  header: { id: 'Location' },
});
const RetryAfter = z.string().register(z.globalRegistry, {
  description: 'Seconds to wait before trying again',
  example: '1',
  header: { id: 'RetryAfter' },
});
const WwwAuthenticate = z.string().register(z.globalRegistry, {
  description: 'How to authenticate: `Bearer`',
  example: 'Bearer',
  header: { id: 'WWWAuthenticate' },
});

const problem = (description: string, headers?: z.ZodMiniObject): ZodOpenApiResponseObject => ({
  description,
  content: { 'application/problem+json': { schema: Problem } },
  ...(headers && { headers }),
});

/** A status particular to the operation, and the reason every route of its kind shares, in one answer. */
const either = (...reasons: (string | false | undefined)[]): string | undefined => {
  const given = reasons.filter((r): r is string => typeof r === 'string');
  return given.length ? given.join('; or ') : undefined;
};

const odsParam = () =>
  OdsCode.clone().register(z.globalRegistry, { description: 'The organisation’s ODS code' });

const pathParams = (route: RouteEntry) =>
  route.path.includes('{nhs}')
    ? z.object({
        nhs: NhsNumber,
        ...(route.path.includes('{ods}') && { ods: odsParam() }),
        ...(route.path.includes('{grantId}') && {
          grantId: z
            .string()
            .check(z.regex(/^[1-9]\d{0,8}$/))
            .register(z.globalRegistry, {
              description: 'The grant’s id, as its `id` gives it',
              example: '1',
            }),
        }),
        ...(route.path.includes('{n}') && {
          n: z
            .int()
            .check(z.minimum(1))
            .register(z.globalRegistry, {
              description: 'The version number',
              example: 2,
              override: { maximum: undefined },
            }),
        }),
      })
    : route.path.includes('{ods}')
      ? z.object({ ods: odsParam() })
      : route.path.includes('{id}')
        ? z.object({
            id: HostSystemId.clone().register(z.globalRegistry, { description: 'The host system’s id' }),
          })
        : undefined;

const operationFor = (route: RouteEntry): ZodOpenApiOperationObject => {
  const op = operations[route.key];
  const path = pathParams(route);
  const ifMatch = route.reads?.['If-Match'];
  const idempotent = route.reads?.['Idempotency-Key'] !== undefined;
  const header = z.object({
    ...(ifMatch && {
      'If-Match': (ifMatch === 'required' ? z.string() : z.optional(z.string())).register(z.globalRegistry, {
        description:
          ifMatch === 'required'
            ? 'The `ETag` this change is based on'
            : 'The `ETag` this change is based on: checked when sent',
        example: '"7"',
      }),
    }),
    ...(idempotent && {
      'Idempotency-Key': z.optional(z.string().check(z.regex(/^[\w-]{8,128}$/))).register(z.globalRegistry, {
        description:
          'Any unique value (e.g. a UUID): a retry with the same key and body gets the first answer again',
        example: '3f1c9a52-6b1e-4f0e-9a57-2d8c1b7e4a10',
      }),
    }),
    ...(route.reads?.['Break-Glass'] && {
      'Break-Glass': z
        .optional(z.string().check(z.minLength(10), z.maxLength(500)))
        .register(z.globalRegistry, {
          description:
            'An emergency reason, for staff outside the care team: the read is flagged and the privacy officer of the reader’s organisation is told',
          example: 'unconscious patient in ED, no other record available',
        }),
    }),
  });
  const query = z.object({
    ...(route.purpose && {
      purpose: z.optional(z.string().check(z.maxLength(200))).register(z.globalRegistry, {
        description: 'Why the plan is read: kept in the access record',
        example: '999 call',
      }),
    }),
    ...(route.paged && {
      limit: z
        .optional(z.int().check(z.minimum(1), z.maximum(200)))
        .register(z.globalRegistry, { description: 'Items per page (default 50)', example: 50 }),
      next: z
        .optional(z.string())
        .register(z.globalRegistry, { description: 'The `next` cursor of the previous page' }),
    }),
    ...op.query?.shape,
  });
  const validated = Boolean(
    path ||
      op.body ||
      op.errors?.[400] ||
      route.paged ||
      route.purpose ||
      route.reads?.['Break-Glass'] ||
      idempotent,
  );
  const okHeaders = z.object({
    ...(route.sends?.includes('ETag') && { ETag }),
    ...(route.sends?.includes('Location') && { Location }),
  });
  const success = (description: string): ZodOpenApiResponseObject => ({
    description,
    content: {
      [op.ok.mediaType ?? 'application/json']: { schema: op.ok.schema },
      ...Object.fromEntries(
        Object.entries(op.ok.alternatives ?? {}).map(([mediaType, schema]) => [mediaType, { schema }]),
      ),
    },
    ...(Object.keys(okHeaders.shape).length > 0 && { headers: okHeaders }),
  });
  const errors = op.errors ?? {};
  const responses: Record<number, ZodOpenApiResponseObject | undefined> = {
    [op.ok.status]: success(op.ok.description),
    ...(op.created && { 201: success(op.created) }),
    ...(validated &&
      !op.oauthErrors && {
        400: problem(
          'The request is not valid: `errors` lists each problem as `{path, message}`' +
            (errors[400] ? `; ${errors[400]}` : ''),
        ),
      }),
    ...(op.oauthErrors && {
      400: {
        description: 'Refused: RFC 6749 §5.2’s `error` and `error_description`, beside a problem’s members',
        content: { 'application/json': { schema: op.oauthErrors } },
      },
    }),
    ...(route.auth && {
      401: problem(
        'No token, or one that is not valid, has expired or is not trusted',
        z.object({ 'WWW-Authenticate': WwwAuthenticate }),
      ),
      403: problem(either(errors[403], 'an NHS login below identity proofing level P9') ?? 'Not allowed'),
    }),
    404: errors[404] ? problem(errors[404]) : undefined,
    406: errors[406] ? problem(errors[406]) : undefined,
    409:
      errors[409] || idempotent
        ? problem(
            either(
              errors[409],
              idempotent && 'A request with this Idempotency-Key is still being processed: retry shortly',
            ) ?? '',
            idempotent ? z.object({ 'Retry-After': RetryAfter }) : undefined,
          )
        : undefined,
    ...(ifMatch && {
      412: problem(
        'Changed since the revision in If-Match: `currentRevision` in the body and the `ETag` header give the current one',
        z.object({ ETag }),
      ),
    }),
    ...(op.body && {
      413: problem('The body is larger than 64 KiB, or would make the plan too large'),
    }),
    ...(op.body &&
      !op.bodyMediaType && { 415: problem('The body is not JSON: send `Content-Type: application/json`') }),
    422:
      errors[422] || idempotent
        ? problem(
            either(errors[422], idempotent && 'This Idempotency-Key was used with a different body') ?? '',
          )
        : undefined,
    ...((ifMatch === 'required' || errors[428]) && { 428: problem(errors[428] ?? 'If-Match is missing') }),
    429: problem('Too many requests: the API’s throttle (AWS); retry after a pause'),
    ...(route.auth && {
      503: problem(
        'The data store is busy: retry after `Retry-After` seconds',
        z.object({ 'Retry-After': RetryAfter }),
      ),
    }),
  };
  return {
    operationId: route.key,
    tags: [op.tag],
    summary: op.summary,
    description: op.description,
    security: route.auth ? [{ bearer: [] }] : [],
    requestParams: {
      ...(path && { path }),
      ...(Object.keys(header.shape).length > 0 && { header }),
      ...(Object.keys(query.shape).length > 0 && { query }),
    },
    ...(op.body && {
      requestBody: {
        required: true,
        content: { [op.bodyMediaType ?? 'application/json']: { schema: op.body } },
      },
    }),
    responses: Object.fromEntries(
      Object.entries(responses).filter(([, r]) => r !== undefined),
    ) as ZodOpenApiResponsesObject,
  };
};

const overview = `One shared urgent care plan per patient near the end of life: preferred place of death, CPR decision, ceiling of treatment, anticipatory medicines, key contacts and what matters to them. Patients and clinicians write it, a clinician ratifies it, and it is shared in real time with everyone who may be called in a crisis.

## Signing in
Every operation but those under *Service* needs \`Authorization: Bearer <JWT>\`: NHS CIS2 for staff, NHS login at identity proofing level P9 for patients and carers. On one machine, \`npm run token -- --role gp --org A81001\` prints a token the local service trusts. A clinician in a registered host system (EMIS Web, say) needs no login of their own: the host’s signed assertion is exchanged at \`POST /token\` for a token of this service’s, about one patient (*Launch*).

## Changing a plan
A plan, and an organisation’s registry entry, carry an \`ETag\`: the revision. A change sends it back in \`If-Match\`: without it the answer is 428, and if the plan or entry changed meanwhile, 412 with the current revision. No update is ever lost. Care-team changes are the exception: adding or removing one organisation commutes with any other change, so they take no \`If-Match\` and are retried on the newest revision.

## Carers
A carer signs in with NHS login as themselves (their own NHS number, P9) and acts for a patient only while the patient’s grant names them: \`read\`, or \`co-author\` of the patient’s sections. The grant is checked on every request, so a revoked or expired one stops access at once; without one, a carer gets the same 403 as any other citizen.

## Retrying safely
The creating POSTs accept \`Idempotency-Key\`: a retry with the same key and body gets the first answer again (for 24 hours); the same key with another body is 422.

## Lists
Lists are paged: \`?limit=\` (1 to 200, default 50) and the opaque \`next\` cursor of the previous page, absent on the last one.

## Reads are audited
Every read of a plan, its history or its summary writes an access record before it answers, with the \`purpose\` given. Staff outside the patient’s care team and outside urgent care may read in an emergency with \`Break-Glass: <reason>\`: the read is flagged and their organisation’s privacy officer is told.

## Errors
Errors are \`application/problem+json\` (RFC 9457): \`type\`, \`title\`, \`status\`, \`detail\`, and for 400 an \`errors\` list of \`{path, message}\`. 401 is a missing or bad token; 403 a real user who may not do this (the detail says why); 404 a patient or plan the caller may not know of.`;

export const openApiDocument = () => {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operationFor(route) };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Urgent Care Plan service',
      version: '1.0.0',
      summary: 'One shared urgent care plan per patient, ratified by a clinician, shared with urgent care.',
      description: overview,
      contact: { name: 'Urgent Care Plan service team' },
      // The project grants no licence yet (package.json is private and has none).
      license: { name: 'Proprietary: all rights reserved', identifier: 'LicenseRef-Proprietary' },
    },
    // Relative to where this document is served, so it is right at `/` on one machine and under
    // the API Gateway stage (`/v1/`) alike.
    servers: [{ url: '.', description: 'This service: where this document was served from' }],
    tags: [...tags],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A token from NHS CIS2 (staff) or NHS login (patients and carers, P9)',
        },
      },
    },
    paths,
  });
};
