// A namespace import, and schemas marked pure, let the bundler keep only what a function uses.
import * as z from 'zod';
import { AccessLogAction } from '../../domain/actions.ts';
import { ActorRef, OdsCode } from '../../domain/actor.ts';
import { PatientProfile } from '../../domain/plan.ts';
import { PlaceCode, Sections } from '../../domain/sections.ts';
import { VersionListItem } from '../../domain/views.ts';

/** Request and response shapes of the HTTP API that are not domain things themselves. */
const note = /* @__PURE__ */ z.string().trim().min(1).max(2000);
export const CreatePlanBody = /* @__PURE__ */ z
  .strictObject({ sections: Sections.optional() })
  .meta({ id: 'CreatePlanRequest' });
export const EditPlanBody = /* @__PURE__ */ z
  .strictObject({ sections: Sections })
  .meta({ id: 'EditPlanRequest' });
export const SubmitBody = /* @__PURE__ */ z
  .strictObject({
    organisation: OdsCode,
    // A staff user id, not free text: it is repeated in the email to the ratifying organisation.
    clinician: z
      .string()
      .regex(/^[\w.@-]{1,100}$/, 'must be a user id: letters, digits, and . _ @ -')
      .optional(),
    note: note.optional(),
  })
  .meta({ id: 'SubmitRequest' });
export const RatifyBody = /* @__PURE__ */ z
  .strictObject({ note: note.optional() })
  .meta({ id: 'RatifyRequest' });
export const ReturnBody = /* @__PURE__ */ z.strictObject({ comments: note }).meta({ id: 'ReturnRequest' });
export const WithdrawBody = /* @__PURE__ */ z.strictObject({ reason: note }).meta({ id: 'WithdrawRequest' });
export const DeathBody = /* @__PURE__ */ z
  .strictObject({
    date: z.iso.date(),
    place: PlaceCode,
    placeText: z.string().trim().min(1).max(500).optional(),
    reasonIfNotPreferred: note.optional(),
  })
  .meta({ id: 'RecordDeathRequest' });

export const Patient = /* @__PURE__ */ PatientProfile.extend({ enrolledAt: z.iso.datetime() }).meta({
  id: 'Patient',
});

const pageOf = <T extends z.ZodType>(item: T, id: string) =>
  z
    .object({
      items: z.array(item),
      next: z.string().optional().meta({ description: 'Opaque cursor; absent on the last page' }),
    })
    .meta({ id });

export const VersionList = /* @__PURE__ */ pageOf(VersionListItem, 'VersionList');
export const AccessLog = /* @__PURE__ */ pageOf(
  z
    .object({
      at: z.iso.datetime(),
      actor: ActorRef,
      action: AccessLogAction,
      purpose: z.string().nullable(),
      breakGlass: z.boolean(),
    })
    .meta({ id: 'AccessLogEntry' }),
  'AccessLog',
);
export const Worklist = /* @__PURE__ */ pageOf(
  z
    .object({
      nhsNumber: z.string(),
      submittedAt: z.iso.datetime(),
      submittedBy: ActorRef,
      clinician: z.string().optional(),
    })
    .meta({ id: 'WorklistItem' }),
  'Worklist',
);

export const BreakGlassReports = /* @__PURE__ */ pageOf(
  z
    .object({
      at: z.iso.datetime(),
      reference: z.string().meta({ description: "The reference in the privacy officer's email" }),
      nhsNumber: z.string(),
      reader: ActorRef,
      reason: z.string(),
      action: AccessLogAction,
      purpose: z.string().nullable(),
    })
    .meta({ id: 'BreakGlassReport' }),
  'BreakGlassReports',
);

export const Problem = /* @__PURE__ */ z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    currentRevision: z
      .number()
      .int()
      .min(0)
      .optional()
      .meta({ description: 'On 412: the revision to base the change on instead' }),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });
