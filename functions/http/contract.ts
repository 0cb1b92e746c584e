// zod/mini (a third of classic zod in a bundle); schemas marked pure are dropped where unused.
import * as z from 'zod/mini';
import { AccessLogAction } from '../../domain/actions.ts';

import { ActorRef, OdsCode } from '../../domain/actor.ts';
import { CarerGrantView } from '../../domain/carers.ts';
import { CareTeamMember, PatientProfile, PlanStatus } from '../../domain/plan.ts';
import { PlaceCode, Sections } from '../../domain/sections.ts';
import { VersionListItem } from '../../domain/views.ts';

/** Request and response shapes of the HTTP API that are not domain things themselves. */
const note = /* @__PURE__ */ z.string().check(z.trim(), z.minLength(1), z.maxLength(2000));
export const CreatePlanBody = /* @__PURE__ */ z
  .strictObject({ sections: z.optional(Sections) })
  .register(z.globalRegistry, { id: 'CreatePlanRequest' });
export const EditPlanBody = /* @__PURE__ */ z
  .strictObject({ sections: Sections })
  .register(z.globalRegistry, { id: 'EditPlanRequest' });
export const SubmitBody = /* @__PURE__ */ z
  .strictObject({
    organisation: OdsCode,
    // A staff user id, not free text: it is repeated in the email to the ratifying organisation.
    clinician: z.optional(
      z.string().check(z.regex(/^[\w.@-]{1,100}$/, 'must be a user id: letters, digits, and . _ @ -')),
    ),
    note: z.optional(note),
  })
  .register(z.globalRegistry, { id: 'SubmitRequest' });
export const RatifyBody = /* @__PURE__ */ z
  .strictObject({ note: z.optional(note) })
  .register(z.globalRegistry, { id: 'RatifyRequest' });
export const ReturnBody = /* @__PURE__ */ z
  .strictObject({ comments: note })
  .register(z.globalRegistry, { id: 'ReturnRequest' });
export const WithdrawBody = /* @__PURE__ */ z
  .strictObject({ reason: note })
  .register(z.globalRegistry, { id: 'WithdrawRequest' });
export const DeathBody = /* @__PURE__ */ z
  .strictObject({
    date: z.iso.date(),
    place: PlaceCode,
    placeText: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(500))),
    reasonIfNotPreferred: z.optional(note),
  })
  .register(z.globalRegistry, { id: 'RecordDeathRequest' });

export const RevokeCarerBody = /* @__PURE__ */ z.strictObject({ reason: note }).register(z.globalRegistry, {
  id: 'RevokeCarerRequest',
  example: { reason: 'my son will look after my plan from now on' },
});
export const JoinCareTeamBody = /* @__PURE__ */ z.strictObject({ reason: note }).register(z.globalRegistry, {
  id: 'JoinCareTeamRequest',
  example: { reason: 'hospice at home team now visiting daily' },
});
export const LeaveCareTeamBody = /* @__PURE__ */ z
  .strictObject({ reason: z.optional(note) })
  .register(z.globalRegistry, {
    id: 'LeaveCareTeamRequest',
    example: { reason: 'discharged from the community nursing caseload' },
  });

export const Patient = /* @__PURE__ */ z
  .extend(PatientProfile, { enrolledAt: z.iso.datetime() })
  .register(z.globalRegistry, { id: 'Patient' });

const pageOf = <T extends z.ZodMiniType>(item: T, id: string) =>
  z
    .object({
      items: z.array(item),
      next: z
        .optional(z.string())
        .register(z.globalRegistry, { description: 'Opaque cursor; absent on the last page' }),
    })
    .register(z.globalRegistry, { id });

export const VersionList = /* @__PURE__ */ pageOf(VersionListItem, 'VersionList');
export const AccessLog = /* @__PURE__ */ pageOf(
  /* @__PURE__ */ z
    .object({
      at: z.iso.datetime(),
      actor: ActorRef,
      action: AccessLogAction,
      purpose: z.nullable(z.string()),
      breakGlass: z.boolean(),
      onBehalfOf: z.optional(z.string()).register(z.globalRegistry, {
        description: "A carer's read or change: the NHS number of the patient they acted for",
      }),
      grantId: z.optional(z.string()).register(z.globalRegistry, {
        description: "A carer's read or change: the grant they acted under",
      }),
      via: z.optional(z.string()).register(z.globalRegistry, {
        description: 'The host system the user was launched from (token exchange), when they were',
      }),
    })
    .register(z.globalRegistry, { id: 'AccessLogEntry' }),
  'AccessLog',
);
export const Worklist = /* @__PURE__ */ pageOf(
  /* @__PURE__ */ z
    .object({
      nhsNumber: z.string(),
      submittedAt: z.iso.datetime(),
      submittedBy: ActorRef,
      clinician: z.optional(z.string()),
    })
    .register(z.globalRegistry, { id: 'WorklistItem' }),
  'Worklist',
);

export const CarerGrants = /* @__PURE__ */ z
  .object({ items: z.array(CarerGrantView) })
  .register(z.globalRegistry, { id: 'CarerGrants' });
export const CareTeam = /* @__PURE__ */ z
  .object({ items: z.array(CareTeamMember) })
  .register(z.globalRegistry, { id: 'CareTeam' });
export const OrganisationPatients = /* @__PURE__ */ pageOf(
  /* @__PURE__ */ z
    .object({
      nhsNumber: z.string(),
      status: z.union([PlanStatus, z.literal('enrolled')]).register(z.globalRegistry, {
        description: 'The plan’s status, or `enrolled` while the patient has no plan',
      }),
      reviewDate: z.nullable(z.iso.date()).register(z.globalRegistry, {
        description: 'The review date of the plan in force (published, else the draft)',
      }),
    })
    .register(z.globalRegistry, {
      id: 'OrganisationPatient',
      example: { nhsNumber: '9434765919', status: 'published', reviewDate: '2027-05-20' },
    }),
  'OrganisationPatients',
);

export const BreakGlassReports = /* @__PURE__ */ pageOf(
  /* @__PURE__ */ z
    .object({
      at: z.iso.datetime(),
      reference: z
        .string()
        .register(z.globalRegistry, { description: "The reference in the privacy officer's email" }),
      nhsNumber: z.string(),
      reader: ActorRef,
      reason: z.string(),
      action: AccessLogAction,
      purpose: z.nullable(z.string()),
    })
    .register(z.globalRegistry, { id: 'BreakGlassReport' }),
  'BreakGlassReports',
);

export const Problem = /* @__PURE__ */ z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().check(z.int(), z.minimum(400), z.maximum(599)),
    detail: z.string(),
    errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
    currentRevision: z
      .optional(z.number().check(z.int(), z.minimum(0)))
      .register(z.globalRegistry, { description: 'On 412: the revision to base the change on instead' }),
  })
  .register(z.globalRegistry, { id: 'Problem', description: 'RFC 9457 problem details' });

/** The service's public signing keys (RFC 7517 JWK Set): ES256 on P-256, `kid` the RFC 7638 thumbprint. */
export const ServiceKeys = /* @__PURE__ */ z
  .object({
    keys: z.array(
      z.object({
        kty: z.literal('EC'),
        crv: z.literal('P-256'),
        x: z.string(),
        y: z.string(),
        kid: z.string(),
        alg: z.literal('ES256'),
        use: z.literal('sig'),
      }),
    ),
  })
  .register(z.globalRegistry, { id: 'ServiceKeys' });

/** POST /token (RFC 8693 token exchange), form-encoded as RFC 6749 §4.1.3 has it. */
export const TokenRequest = /* @__PURE__ */ z
  .object({
    grant_type: z.literal('urn:ietf:params:oauth:grant-type:token-exchange'),
    subject_token: z.string().register(z.globalRegistry, {
      description:
        'The host system’s assertion: a JWT (RS256 or ES256, `kid` from its keys) with `iss` (the host system’s id), `sub` (the user), `aud` (this service), `exp` (at most 5 minutes ahead), `iat`, a single-use `jti`, `ods`, `role` (the host’s role code), `patient` (NHS number) and optionally `name`',
    }),
    subject_token_type: z.literal('urn:ietf:params:oauth:token-type:jwt'),
    requested_token_type: z.optional(z.literal('urn:ietf:params:oauth:token-type:access_token')),
  })
  .register(z.globalRegistry, { id: 'TokenRequest' });

export const TokenResponse = /* @__PURE__ */ z
  .object({
    access_token: z.string().register(z.globalRegistry, {
      description:
        'A JWT the service signs (ES256, verify with `/.well-known/jwks.json`): send it as `Authorization: Bearer`. It is about `patient` only.',
    }),
    issued_token_type: z.literal('urn:ietf:params:oauth:token-type:access_token'),
    token_type: z.literal('Bearer'),
    expires_in: z.int().register(z.globalRegistry, { description: 'Seconds: 900', example: 900 }),
    patient: z.string().register(z.globalRegistry, {
      description: 'The one patient the token is about',
      example: '9434765919',
    }),
  })
  .register(z.globalRegistry, { id: 'TokenResponse' });

/** RFC 6749 §5.2's error, with the members of an RFC 9457 problem beside it. */
export const TokenError = /* @__PURE__ */ z
  .object({
    error: z.enum(['invalid_request', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type']),
    error_description: z.string(),
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
  })
  .register(z.globalRegistry, { id: 'TokenError' });
