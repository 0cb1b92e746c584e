// A namespace import, and schemas marked pure, let the bundler keep only what a function uses.
import * as z from 'zod';
import { ActorRef, OdsCode } from './actor.ts';
import { NhsNumber } from './nhs-number.ts';
import { PlaceCode, Sections } from './sections.ts';

/** The plan's state after a command: what one `REV#` item holds (docs/design.md "Data"). */
export const PlanStatus = /* @__PURE__ */ z
  .enum(['draft', 'submitted', 'published', 'withdrawn', 'closed'])
  .meta({ id: 'PlanStatus' });
export type PlanStatus = z.infer<typeof PlanStatus>;

export const PublishedVersion = /* @__PURE__ */ z
  .object({
    version: z.number().int().min(1),
    sections: Sections,
    ratifiedBy: ActorRef,
    ratifiedAt: z.iso.datetime(),
    note: z.string().optional(),
  })
  .meta({ id: 'PublishedVersion' });
export type PublishedVersion = z.infer<typeof PublishedVersion>;

export const SubmittedTo = /* @__PURE__ */ z
  .object({ organisation: OdsCode, clinician: z.string().optional() })
  .meta({ id: 'SubmittedTo' });

export const Draft = /* @__PURE__ */ z
  .object({
    state: z.enum(['editing', 'submitted']),
    sections: Sections,
    basedOnVersion: z.number().int().min(1).nullable(),
    updatedAt: z.iso.datetime(),
    updatedBy: ActorRef,
    submittedTo: SubmittedTo.optional(),
    submittedAt: z.iso.datetime().optional(),
    submittedBy: ActorRef.optional(),
    note: z.string().optional(),
    comments: z.string().optional(),
  })
  .meta({ id: 'Draft' });
export type Draft = z.infer<typeof Draft>;

export const DeathRecord = /* @__PURE__ */ z
  .object({
    date: z.iso.date(),
    place: PlaceCode,
    placeText: z.string().optional(),
    reasonIfNotPreferred: z.string().optional(),
    preferredPlace: PlaceCode.nullable(),
    diedInPreferredPlace: z.boolean().nullable(),
    recordedBy: ActorRef,
    recordedAt: z.iso.datetime(),
  })
  .meta({ id: 'DeathRecord' });
export type DeathRecord = z.infer<typeof DeathRecord>;

export const Withdrawal = /* @__PURE__ */ z
  .object({ reason: z.string(), by: ActorRef, at: z.iso.datetime() })
  .meta({ id: 'Withdrawal' });
export type Withdrawal = z.infer<typeof Withdrawal>;

export type Plan = {
  nhsNumber: string;
  revision: number;
  createdAt: string;
  updatedAt: string;
  published: PublishedVersion | null;
  draft: Draft | null;
  /** Organisations with a relationship to the patient: GP practice, authors, ratifiers sent to. */
  careTeam: string[];
  /** Organisations whose staff wrote the plan: they, the patient and the ratifier see drafts. */
  authors: string[];
  withdrawal: Withdrawal | null;
  death: DeathRecord | null;
};

export const planStatus = (plan: Plan): PlanStatus => {
  if (plan.death) return 'closed';
  if (plan.withdrawal) return 'withdrawn';
  if (plan.published) return 'published';
  return plan.draft?.state === 'submitted' ? 'submitted' : 'draft';
};

/** The patient as enrolled (the `PROFILE` item). */
export const PatientProfile = /* @__PURE__ */ z
  .strictObject({
    nhsNumber: NhsNumber,
    name: z.strictObject({
      given: z.string().trim().min(1).max(100),
      family: z.string().trim().min(1).max(100),
    }),
    birthDate: z.iso.date(),
    postcode: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$/, 'must be a UK postcode'),
    gpPractice: OdsCode,
    email: z.email().max(254).optional().meta({
      description:
        'Where the patient is told that their plan was published or returned (optional; the message carries no clinical content)',
    }),
  })
  .meta({ id: 'PatientProfile' });
export type PatientProfile = z.infer<typeof PatientProfile>;
