// A namespace import lets the bundler drop what is not used (the whole of `{ z }` is about 450 KB).
import * as z from 'zod';
import { ActorRef, OdsCode } from '../../domain/actor.ts';
import { PatientProfile } from '../../domain/plan.ts';
import { PlaceCode, Sections } from '../../domain/sections.ts';
import { VersionListItem } from '../../domain/views.ts';

/** Request and response shapes of the HTTP API that are not domain things themselves. */
const note = z.string().trim().min(1).max(2000);
export const CreatePlanBody = z
  .strictObject({ sections: Sections.optional() })
  .meta({ id: 'CreatePlanRequest' });
export const EditPlanBody = z.strictObject({ sections: Sections }).meta({ id: 'EditPlanRequest' });
export const SubmitBody = z
  .strictObject({
    organisation: OdsCode,
    clinician: z.string().trim().min(1).max(100).optional(),
    note: note.optional(),
  })
  .meta({ id: 'SubmitRequest' });
export const RatifyBody = z.strictObject({ note: note.optional() }).meta({ id: 'RatifyRequest' });
export const ReturnBody = z.strictObject({ comments: note }).meta({ id: 'ReturnRequest' });
export const WithdrawBody = z.strictObject({ reason: note }).meta({ id: 'WithdrawRequest' });
export const DeathBody = z
  .strictObject({
    date: z.iso.date(),
    place: PlaceCode,
    placeText: z.string().trim().min(1).max(500).optional(),
    reasonIfNotPreferred: note.optional(),
  })
  .meta({ id: 'RecordDeathRequest' });

export const Patient = PatientProfile.extend({ enrolledAt: z.iso.datetime() }).meta({ id: 'Patient' });

const pageOf = <T extends z.ZodType>(item: T, id: string) =>
  z
    .object({
      items: z.array(item),
      next: z.string().optional().meta({ description: 'Opaque cursor; absent on the last page' }),
    })
    .meta({ id });

export const VersionList = pageOf(VersionListItem, 'VersionList');
export const AccessLog = pageOf(
  z
    .object({
      at: z.iso.datetime(),
      actor: ActorRef,
      action: z.string(),
      purpose: z.string().nullable(),
      breakGlass: z.boolean(),
    })
    .meta({ id: 'AccessLogEntry' }),
  'AccessLog',
);
export const Worklist = pageOf(
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

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    currentRevision: z.number().int().optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });
