// zod/mini (a third of classic zod in a bundle); schemas marked pure are dropped where unused.
import * as z from 'zod/mini';
import { type Actor, ActorRef } from './actor.ts';
import { forThePatient, isSharedWith, maySeeDraft, type Relationship } from './permissions.ts';
import {
  type CareTeamDetails,
  type CareTeamMember,
  Draft,
  type Plan,
  PlanStatus,
  PublishedVersion,
  planStatus,
} from './plan.ts';
import {
  AnticipatoryMedicines,
  Contact,
  CprSection,
  Place,
  type Sections,
  TreatmentSection,
} from './sections.ts';

/** What readers get back. The draft is shown only to those allowed to see it. */
export const PlanView = /* @__PURE__ */ z
  .object({
    nhsNumber: z.string(),
    status: PlanStatus,
    revision: z
      .number()
      .check(z.int(), z.minimum(1))
      .register(z.globalRegistry, { description: 'The revision, from 1: also the ETag' }),
    published: z.nullable(PublishedVersion),
    draft: z.nullable(Draft),
  })
  .register(z.globalRegistry, { id: 'Plan' });
export type PlanView = z.infer<typeof PlanView>;

/** Home access (the key safe) is shown only in the crisis summary, and to the patient and their carers. */
const withoutHomeAccess = (sections: Sections): Sections => {
  if (sections.preferences?.homeAccess === undefined) return sections;
  const { homeAccess: _shownOnlyInTheSummary, ...preferences } = sections.preferences;
  return { ...sections, preferences };
};

export const publishedView = (version: PublishedVersion, relationship: Relationship): PublishedVersion =>
  forThePatient(relationship) ? version : { ...version, sections: withoutHomeAccess(version.sections) };

/** The plan as this reader may see it: nothing but its status when it is not shared with them. */
export const planView = (plan: Plan, actor: Actor, relationship: Relationship): PlanView => {
  const shared = isSharedWith(actor, relationship, plan);
  const draft = shared && maySeeDraft(actor, relationship, plan) ? plan.draft : null;
  return {
    nhsNumber: plan.nhsNumber,
    status: planStatus(plan),
    revision: plan.revision,
    published: shared && plan.published ? publishedView(plan.published, relationship) : null,
    draft:
      draft && !forThePatient(relationship)
        ? { ...draft, sections: withoutHomeAccess(draft.sections) }
        : draft,
  };
};

/** What the crew must know in the first minute, from the last published version only. */
export const CrisisSummary = /* @__PURE__ */ z
  .object({
    nhsNumber: z.string(),
    version: z.number().check(z.int(), z.minimum(1)),
    ratifiedAt: z.iso.datetime(),
    cpr: z.nullable(CprSection),
    treatment: z.nullable(TreatmentSection),
    preferredPlaceOfDeath: z.nullable(Place),
    anticipatoryMedicines: z.nullable(AnticipatoryMedicines),
    contacts: z.array(Contact),
    homeAccess: z.nullable(z.string()),
  })
  .register(z.globalRegistry, { id: 'CrisisSummary' });
export type CrisisSummary = z.infer<typeof CrisisSummary>;

/** Null while nothing is published, and once the plan is withdrawn or closed: neither is shared. */
export const crisisSummary = (plan: Plan): CrisisSummary | null => {
  if (!plan.published || plan.withdrawal || plan.death) return null;
  const s: Sections = plan.published.sections;
  return {
    nhsNumber: plan.nhsNumber,
    version: plan.published.version,
    ratifiedAt: plan.published.ratifiedAt,
    cpr: s.cpr ?? null,
    treatment: s.treatment ?? null,
    preferredPlaceOfDeath: s.preferences?.preferredPlaceOfDeath ?? null,
    anticipatoryMedicines: s.clinical?.anticipatoryMedicines ?? null,
    contacts: s.contacts?.people ?? [],
    homeAccess: s.preferences?.homeAccess ?? null,
  };
};

export const VersionListItem = /* @__PURE__ */ z
  .object({
    version: z.number().check(z.int(), z.minimum(1)),
    ratifiedAt: z.iso.datetime(),
    ratifiedBy: ActorRef,
  })
  .register(z.globalRegistry, { id: 'VersionListItem' });

/**
 * The care team as `GET /patients/{nhs}/care-team` shows it: the plan's, or before any plan the
 * enrolment's, each organisation with why, since when and by whom. Plans and enrolments from
 * before the details were kept get them from what is known: the GP practice, the plan's authors,
 * else added, since the plan (or enrolment) began, by someone not recorded.
 */
export const careTeamMembers = (
  plan: Plan | null,
  enrolled: {
    profile: { gpPractice: string };
    careTeam: readonly string[];
    careTeamDetails?: CareTeamDetails;
    enrolledAt: string;
  } | null,
): CareTeamMember[] => {
  const careTeam = plan?.careTeam ?? enrolled?.careTeam ?? [];
  const details = plan ? plan.careTeamDetails : enrolled?.careTeamDetails;
  const since = plan?.createdAt ?? enrolled?.enrolledAt ?? '';
  return careTeam.map((organisation) => {
    const known = details?.[organisation];
    if (known) return { organisation, ...known };
    const reason =
      organisation === enrolled?.profile.gpPractice
        ? 'gp_practice'
        : plan?.authors.includes(organisation)
          ? 'author'
          : 'added';
    return { organisation, reason, since, addedBy: null };
  });
};
