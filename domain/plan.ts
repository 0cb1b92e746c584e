// zod/mini (a third of classic zod in a bundle); schemas marked pure are dropped where unused.
import * as z from 'zod/mini';
import { ActorRef, OdsCode } from './actor.ts';
import { NhsNumber } from './nhs-number.ts';
import { PlaceCode, Sections } from './sections.ts';

/** The plan's state after a command: what one `REV#` item holds (docs/design.md "Data"). */
export const PlanStatus = /* @__PURE__ */ z
  .enum(['draft', 'submitted', 'published', 'withdrawn', 'closed'])
  .register(z.globalRegistry, { id: 'PlanStatus' });
export type PlanStatus = z.infer<typeof PlanStatus>;

export const PublishedVersion = /* @__PURE__ */ z
  .object({
    version: z.number().check(z.int(), z.minimum(1)),
    sections: Sections,
    ratifiedBy: ActorRef,
    ratifiedAt: z.iso.datetime(),
    note: z.optional(z.string()),
  })
  .register(z.globalRegistry, { id: 'PublishedVersion' });
export type PublishedVersion = z.infer<typeof PublishedVersion>;

export const SubmittedTo = /* @__PURE__ */ z
  .object({ organisation: OdsCode, clinician: z.optional(z.string()) })
  .register(z.globalRegistry, { id: 'SubmittedTo' });

export const Draft = /* @__PURE__ */ z
  .object({
    state: z.enum(['editing', 'submitted']),
    sections: Sections,
    basedOnVersion: z.nullable(z.number().check(z.int(), z.minimum(1))),
    updatedAt: z.iso.datetime(),
    updatedBy: ActorRef,
    submittedTo: z.optional(SubmittedTo),
    submittedAt: z.optional(z.iso.datetime()),
    submittedBy: z.optional(ActorRef),
    note: z.optional(z.string()),
    comments: z.optional(z.string()),
  })
  .register(z.globalRegistry, { id: 'Draft' });
export type Draft = z.infer<typeof Draft>;

export const DeathRecord = /* @__PURE__ */ z
  .object({
    date: z.iso.date(),
    place: PlaceCode,
    placeText: z.optional(z.string()),
    reasonIfNotPreferred: z.optional(z.string()),
    preferredPlace: z.nullable(PlaceCode),
    diedInPreferredPlace: z.nullable(z.boolean()),
    recordedBy: ActorRef,
    recordedAt: z.iso.datetime(),
  })
  .register(z.globalRegistry, { id: 'DeathRecord' });
export type DeathRecord = z.infer<typeof DeathRecord>;

export const Withdrawal = /* @__PURE__ */ z
  .object({ reason: z.string(), by: ActorRef, at: z.iso.datetime() })
  .register(z.globalRegistry, { id: 'Withdrawal' });
export type Withdrawal = z.infer<typeof Withdrawal>;

/**
 * Why an organisation is in the care team: the patient's GP practice, an author of the plan (it
 * wrote, submitted or ratified it), or added (by a clinician of the care team, at enrolment, or
 * as the organisation a draft was submitted to).
 */
export const careTeamReasons = ['gp_practice', 'author', 'added'] as const;
export const CareTeamReason = /* @__PURE__ */ z.enum(careTeamReasons);
export type CareTeamReason = z.infer<typeof CareTeamReason>;

/** One organisation of the care team, as `GET /patients/{nhs}/care-team` answers. */
export const CareTeamMember = /* @__PURE__ */ z
  .object({
    organisation: OdsCode,
    reason: CareTeamReason,
    since: z.iso.datetime(),
    addedBy: z.nullable(ActorRef).register(z.globalRegistry, {
      description: 'Who brought the organisation in; null when not recorded (plans from before it was)',
    }),
    note: z.optional(z.string()).register(z.globalRegistry, {
      description: 'The reason given when it was added, or how it came in',
    }),
  })
  .register(z.globalRegistry, {
    id: 'CareTeamMember',
    example: {
      organisation: 'H12345',
      reason: 'added',
      since: '2026-11-21T10:00:00.000Z',
      addedBy: { id: 'dr.patel', role: 'gp', organisation: 'A81001' },
      note: 'hospice at home team now visiting daily',
    },
  });
export type CareTeamMember = z.infer<typeof CareTeamMember>;
export type CareTeamDetails = Record<string, Omit<CareTeamMember, 'organisation'>>;

export type Plan = {
  nhsNumber: string;
  revision: number;
  createdAt: string;
  updatedAt: string;
  published: PublishedVersion | null;
  draft: Draft | null;
  /**
   * Organisations with a relationship to the patient: GP practice, authors, ratifiers sent to,
   * organisations added. The one truth every access decision reads.
   */
  careTeam: string[];
  /** Why and since when each is there, by ODS code (absent on revisions written before it was kept). */
  careTeamDetails?: CareTeamDetails;
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
      given: z.string().check(z.trim(), z.minLength(1), z.maxLength(100)),
      family: z.string().check(z.trim(), z.minLength(1), z.maxLength(100)),
    }),
    birthDate: z.iso.date(),
    postcode: z
      .string()
      .check(
        z.trim(),
        z.toUpperCase(),
        z.regex(/^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$/, 'must be a UK postcode'),
      ),
    gpPractice: OdsCode,
    email: z.optional(z.email().check(z.maxLength(254))).register(z.globalRegistry, {
      description:
        'Where the patient is told that their plan was published or returned (optional; the message carries no clinical content)',
    }),
  })
  .register(z.globalRegistry, { id: 'PatientProfile' });
export type PatientProfile = z.infer<typeof PatientProfile>;
