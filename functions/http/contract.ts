// zod/mini (a third of classic zod in a bundle); schemas marked pure are dropped where unused.
import * as z from 'zod/mini';
import { AccessLogAction } from '../../domain/actions.ts';

import { ActorRef, OdsCode } from '../../domain/actor.ts';
import { PatientProfile } from '../../domain/plan.ts';
import { reviewKinds } from '../../domain/reviews.ts';
import { maxMatches } from '../../domain/search.ts';
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

export const ReviewList = /* @__PURE__ */ pageOf(
  /* @__PURE__ */ z
    .object({
      nhsNumber: z.string(),
      reviewDate: z.iso.date(),
      kind: z.enum(reviewKinds).register(z.globalRegistry, {
        description: '`plan`: the planned review of the plan; `cpr`: the review date of its CPR decision',
      }),
      overdue: z
        .boolean()
        .register(z.globalRegistry, { description: 'The review date has passed (UK date)' }),
    })
    .register(z.globalRegistry, { id: 'ReviewItem' }),
  'ReviewList',
);

export const SearchResults = /* @__PURE__ */ z
  .object({
    items: z
      .array(
        z
          .object({
            nhsNumber: z.string(),
            name: z.object({ given: z.string(), family: z.string() }),
            birthDate: z.iso.date(),
            postcode: z.string(),
            score: z.number().check(z.minimum(0), z.maximum(1)).register(z.globalRegistry, {
              description: '1 for an exact match; less for one found by sound (fuzzy)',
            }),
          })
          .register(z.globalRegistry, { id: 'SearchMatch' }),
      )
      .check(z.maxLength(maxMatches)),
  })
  .register(z.globalRegistry, { id: 'SearchResults' });
