import type { CommandName, PlanCommandName } from './actions.ts';
import { type Actor, actorRef } from './actor.ts';
import { ukDate } from './calendar.ts';
import { type DomainEvent, raise } from './events.ts';
import { refuseOutsideLaunch } from './launch.ts';
import {
  isRatifierOf,
  isSharedWith,
  mayCommand,
  mayWriteSections,
  type Relationship,
} from './permissions.ts';
import {
  type CareTeamDetails,
  type CareTeamReason,
  type Draft,
  type PatientProfile,
  type Plan,
  planStatus,
} from './plan.ts';
import { documentPointer, type Publisher, pointerId, type RetirementReason } from './pointer.ts';
import { forbidden, invalidCommand, notFound, type Refusal, stateConflict } from './refusals.ts';
import { type PlaceCode, type SectionName, type Sections, sectionNamesOf } from './sections.ts';

/**
 * Everything a command needs from outside the domain: who, how they stand, the clock, ids, and who
 * publishes (for the record locator's pointer, read only by the commands that publish or retire one).
 */
export type CommandContext = {
  actor: Actor;
  relationship: Relationship;
  now: string;
  newId: () => string;
  publisher: Publisher;
};

export type Outcome<T> = { ok: true; value: T; events: DomainEvent[] } | { ok: false; refusal: Refusal };

const refuse = (refusal: Refusal): { ok: false; refusal: Refusal } => ({ ok: false, refusal });
const union = (list: readonly string[], more: string | undefined): string[] =>
  more === undefined || list.includes(more) ? [...list] : [...list, more];
const staffOrganisation = (actor: Actor): string | undefined =>
  actor.kind === 'staff' ? actor.organisation : undefined;

/** Why, since when and by whom an organisation joined the care team. */
const joined = (reason: CareTeamReason, ctx: CommandContext, note?: string): CareTeamDetails[string] => ({
  reason,
  since: ctx.now,
  addedBy: actorRef(ctx.actor),
  ...(note && { note }),
});

/**
 * The next revision of a plan. Staff who write its content (edit, submit, ratify) make their
 * organisation an author and part of the care team; returning, withdrawing or recording a
 * death does not.
 */
const next = (plan: Plan, ctx: CommandContext, change: Partial<Plan>, wrote: boolean): Plan => {
  const org = wrote ? staffOrganisation(ctx.actor) : undefined;
  const careTeam = change.careTeam ?? plan.careTeam;
  const details = change.careTeamDetails ?? plan.careTeamDetails ?? {};
  return {
    ...plan,
    ...change,
    revision: plan.revision + 1,
    updatedAt: ctx.now,
    authors: union(change.authors ?? plan.authors, org),
    careTeam: union(careTeam, org),
    careTeamDetails: org && !careTeam.includes(org) ? { ...details, [org]: joined('author', ctx) } : details,
  };
};

/**
 * Who may give the command is decided first, so a caller with no right learns nothing of the
 * plan's state. Then: a plan that is withdrawn or closed takes no more changes.
 */
const allowedOnLivePlan = (plan: Plan | null, command: CommandName, ctx: CommandContext): Refusal | null =>
  mayCommand(ctx.actor, command, ctx.relationship) ?? live(plan);

const live = (plan: Plan | null): Refusal | null => {
  if (!plan) return notFound('this patient has no plan');
  const status = planStatus(plan);
  if (status === 'closed') return stateConflict('the plan is closed: a death has been recorded');
  if (status === 'withdrawn') return stateConflict('the plan is withdrawn and no longer shared');
  return null;
};

/** An enrolled patient and their care team before any plan: the GP practice and whoever enrolled them. */
export type EnrolledPatient = {
  profile: PatientProfile;
  careTeam: string[];
  careTeamDetails: CareTeamDetails;
};

export const enrolPatient = (profile: PatientProfile, ctx: CommandContext): Outcome<EnrolledPatient> => {
  // A session launched for one patient enrols that patient only.
  const refusal =
    refuseOutsideLaunch(ctx.actor, profile.nhsNumber) ?? mayCommand(ctx.actor, 'enrol', ctx.relationship);
  if (refusal) return refuse(refusal);
  const event = raise(
    'Patient.Enrolled',
    { nhsNumber: profile.nhsNumber, gpPractice: profile.gpPractice, enrolledBy: actorRef(ctx.actor) },
    ctx,
  );
  const enrolling = staffOrganisation(ctx.actor);
  return {
    ok: true,
    value: {
      profile,
      careTeam: union([profile.gpPractice], enrolling),
      careTeamDetails: {
        [profile.gpPractice]: joined('gp_practice', ctx),
        ...(enrolling &&
          enrolling !== profile.gpPractice && { [enrolling]: joined('added', ctx, 'enrolled the patient') }),
      },
    },
    events: [event],
  };
};

/**
 * The first draft, for an enrolled patient (null: not enrolled). Who may start a plan is decided
 * first: no one else learns whether the patient is enrolled.
 */
export const createPlan = (
  existing: Plan | null,
  patient: { nhsNumber: string; careTeam: readonly string[]; careTeamDetails?: CareTeamDetails } | null,
  sections: Sections,
  ctx: CommandContext,
): Outcome<Plan> => {
  const refusal =
    mayCommand(ctx.actor, 'create', ctx.relationship) ??
    (patient ? null : notFound('no patient with this NHS number is enrolled: enrol first')) ??
    (existing ? stateConflict('this patient already has a plan: change it with PATCH') : null) ??
    mayWriteSections(ctx.actor, sectionNamesOf(sections));
  if (refusal || !patient) return refuse(refusal ?? notFound('no patient with this NHS number is enrolled'));
  const by = actorRef(ctx.actor);
  const org = staffOrganisation(ctx.actor);
  const plan: Plan = {
    nhsNumber: patient.nhsNumber,
    revision: 1,
    createdAt: ctx.now,
    updatedAt: ctx.now,
    published: null,
    draft: { state: 'editing', sections, basedOnVersion: null, updatedAt: ctx.now, updatedBy: by },
    careTeam: union(patient.careTeam, org),
    careTeamDetails: {
      ...patient.careTeamDetails,
      ...(org && !patient.careTeam.includes(org) && { [org]: joined('author', ctx) }),
    },
    authors: org ? [org] : [],
    withdrawal: null,
    death: null,
  };
  const event = raise(
    'CarePlan.Created',
    { nhsNumber: plan.nhsNumber, revision: 1, createdBy: by, sections: sectionNamesOf(sections) },
    ctx,
  );
  return { ok: true, value: plan, events: [event] };
};

/** Merges the given sections into the draft, making one from the published version if there is none. */
export const editDraft = (plan: Plan | null, sections: Sections, ctx: CommandContext): Outcome<Plan> => {
  const names = sectionNamesOf(sections);
  const refusal =
    allowedOnLivePlan(plan, 'edit', ctx) ??
    (names.length === 0 ? invalidCommand('give at least one section to change') : null) ??
    mayWriteSections(ctx.actor, names);
  if (refusal || !plan) return refuse(refusal ?? notFound('this patient has no plan'));
  const draft = plan.draft;
  if (draft?.state === 'submitted' && !isRatifierOf(ctx.actor, draft)) {
    return refuse(
      stateConflict('the plan is submitted for ratification: it is locked until ratified or returned'),
    );
  }
  const by = actorRef(ctx.actor);
  const base: Draft = draft ?? {
    state: 'editing',
    sections: plan.published?.sections ?? {},
    basedOnVersion: plan.published?.version ?? null,
    updatedAt: ctx.now,
    updatedBy: by,
  };
  const updated = next(
    plan,
    ctx,
    {
      draft: {
        ...base,
        sections: { ...base.sections, ...keepHomeAccess(ctx.actor, base.sections, pick(sections, names)) },
        updatedAt: ctx.now,
        updatedBy: by,
      },
    },
    true,
  );
  const event = raise(
    'CarePlan.DraftUpdated',
    { nhsNumber: plan.nhsNumber, revision: updated.revision, updatedBy: by, sections: names },
    ctx,
  );
  return { ok: true, value: updated, events: [event] };
};

export type SubmitCommand = { organisation: string; clinician?: string; note?: string };

export const submitPlan = (plan: Plan | null, command: SubmitCommand, ctx: CommandContext): Outcome<Plan> => {
  const refusal = allowedOnLivePlan(plan, 'submit', ctx);
  if (refusal || !plan) return refuse(refusal ?? notFound('this patient has no plan'));
  if (!plan.draft) return refuse(stateConflict('there is no draft to submit'));
  if (plan.draft.state === 'submitted')
    return refuse(stateConflict('the plan is already submitted for ratification'));
  const by = actorRef(ctx.actor);
  const submittedTo = {
    organisation: command.organisation,
    ...(command.clinician && { clinician: command.clinician }),
  };
  const { comments: _answered, ...draft } = plan.draft;
  const updated = next(
    plan,
    ctx,
    {
      draft: {
        ...draft,
        state: 'submitted',
        submittedTo,
        submittedAt: ctx.now,
        submittedBy: by,
        note: command.note,
      },
      careTeam: union(plan.careTeam, command.organisation),
      ...(!plan.careTeam.includes(command.organisation) && {
        careTeamDetails: {
          ...plan.careTeamDetails,
          [command.organisation]: joined('added', ctx, 'the plan was submitted to it for ratification'),
        },
      }),
    },
    true,
  );
  const event = raise(
    'CarePlan.Submitted',
    { nhsNumber: plan.nhsNumber, revision: updated.revision, submittedBy: by, submittedTo },
    ctx,
  );
  return { ok: true, value: updated, events: [event] };
};

/** Publishes the draft as the next version. A ratifier may ratify a draft their organisation wrote, or one sent to it. */
export const ratifyPlan = (
  plan: Plan | null,
  command: { note?: string },
  ctx: CommandContext,
): Outcome<Plan> => {
  const refusal = allowedOnLivePlan(plan, 'ratify', ctx);
  if (refusal || !plan) return refuse(refusal ?? notFound('this patient has no plan'));
  const draft = plan.draft;
  if (!draft) return refuse(stateConflict('there is no draft to ratify'));
  const org = staffOrganisation(ctx.actor);
  if (draft.state === 'submitted' && !isRatifierOf(ctx.actor, draft)) {
    return refuse(forbidden('the plan was submitted to another organisation for ratification'));
  }
  if (draft.state === 'editing' && !(org && plan.authors.includes(org))) {
    return refuse(forbidden('you may ratify only a draft submitted to your organisation or written by it'));
  }
  if (draft.sections.consent?.status === 'withdrawn') {
    return refuse(
      invalidCommand('consent to share is withdrawn: withdraw the plan instead of publishing it'),
    );
  }
  const by = actorRef(ctx.actor);
  const version = (plan.published?.version ?? 0) + 1;
  const updated = next(
    plan,
    ctx,
    {
      published: {
        version,
        sections: draft.sections,
        ratifiedBy: by,
        ratifiedAt: ctx.now,
        ...(command.note && { note: command.note }),
      },
      draft: null,
    },
    true,
  );
  const event = raise(
    'CarePlan.Ratified',
    {
      nhsNumber: plan.nhsNumber,
      revision: updated.revision,
      version,
      ratifiedBy: by,
      careTeam: updated.careTeam,
    },
    ctx,
  );
  const published = raise(
    'CarePlan.Published',
    {
      nhsNumber: plan.nhsNumber,
      revision: updated.revision,
      version,
      pointer: documentPointer(plan.nhsNumber, { version, ratifiedAt: ctx.now }, ctx.publisher),
      replaces: plan.published ? pointerId(plan.nhsNumber, plan.published.version) : null,
    },
    ctx,
  );
  return { ok: true, value: updated, events: [event, published] };
};

export const returnPlan = (
  plan: Plan | null,
  command: { comments: string },
  ctx: CommandContext,
): Outcome<Plan> => {
  const refusal = allowedOnLivePlan(plan, 'return', ctx);
  if (refusal || !plan) return refuse(refusal ?? notFound('this patient has no plan'));
  const draft = plan.draft;
  if (draft?.state !== 'submitted') return refuse(stateConflict('only a submitted plan can be returned'));
  if (!isRatifierOf(ctx.actor, draft)) {
    return refuse(forbidden('the plan was submitted to another organisation for ratification'));
  }
  const by = actorRef(ctx.actor);
  const { submittedTo: _to, submittedAt: _at, submittedBy, note: _note, ...rest } = draft;
  const updated = next(
    plan,
    ctx,
    {
      draft: { ...rest, state: 'editing', comments: command.comments, updatedAt: ctx.now, updatedBy: by },
    },
    false,
  );
  const event = raise(
    'CarePlan.Returned',
    {
      nhsNumber: plan.nhsNumber,
      revision: updated.revision,
      returnedBy: by,
      submittedBy: submittedBy ?? null,
      careTeam: updated.careTeam,
    },
    ctx,
  );
  return { ok: true, value: updated, events: [event] };
};

/** Consent withdrawn: the plan stops being shared. Its history stays for audit. */
export const withdrawPlan = (
  plan: Plan | null,
  command: { reason: string },
  ctx: CommandContext,
): Outcome<Plan> => {
  const refusal = allowedOnLivePlan(plan, 'withdraw', ctx);
  if (refusal || !plan) return refuse(refusal ?? notFound('this patient has no plan'));
  const by = actorRef(ctx.actor);
  const updated = next(plan, ctx, { withdrawal: { reason: command.reason, by, at: ctx.now } }, false);
  const event = raise(
    'CarePlan.Withdrawn',
    { nhsNumber: plan.nhsNumber, revision: updated.revision, withdrawnBy: by, careTeam: updated.careTeam },
    ctx,
  );
  return { ok: true, value: updated, events: [event, ...unpublished(plan, updated, 'withdrawn', ctx)] };
};

/** A plan that was shared stops being shared: its pointer is retired (once: a withdrawn plan's already is). */
const unpublished = (before: Plan, after: Plan, reason: RetirementReason, ctx: CommandContext) =>
  before.published && !before.withdrawal && !before.death
    ? [
        raise(
          'CarePlan.Unpublished',
          {
            nhsNumber: before.nhsNumber,
            revision: after.revision,
            version: before.published.version,
            pointerId: pointerId(before.nhsNumber, before.published.version),
            reason,
          },
          ctx,
        ),
      ]
    : [];

export type DeathCommand = {
  date: string;
  place: PlaceCode;
  placeText?: string;
  reasonIfNotPreferred?: string;
};

/** Freezes the plan with the death record; compares the place with the preferred place last published. */
export const recordDeath = (plan: Plan | null, command: DeathCommand, ctx: CommandContext): Outcome<Plan> => {
  const refusal = mayCommand(ctx.actor, 'recordDeath', ctx.relationship);
  if (refusal) return refuse(refusal);
  if (!plan) return refuse(notFound('this patient has no plan'));
  if (plan.death) return refuse(stateConflict('a death is already recorded for this patient'));
  if (command.date > ukDate(ctx.now)) return refuse(invalidCommand('the date of death is in the future'));
  const preferredPlace = plan.published?.sections.preferences?.preferredPlaceOfDeath?.code ?? null;
  const diedInPreferredPlace = preferredPlace === null ? null : preferredPlace === command.place;
  // Asked only of those who may see the plan: the question itself would tell others what it says.
  if (
    diedInPreferredPlace === false &&
    !command.reasonIfNotPreferred &&
    isSharedWith(ctx.actor, ctx.relationship, plan)
  ) {
    return refuse(
      invalidCommand(`the preferred place of death was ${preferredPlace}: give reasonIfNotPreferred`),
    );
  }
  const by = actorRef(ctx.actor);
  const updated = next(
    plan,
    ctx,
    {
      death: { ...command, preferredPlace, diedInPreferredPlace, recordedBy: by, recordedAt: ctx.now },
    },
    false,
  );
  const event = raise(
    'Patient.Died',
    {
      nhsNumber: plan.nhsNumber,
      revision: updated.revision,
      recordedBy: by,
      date: command.date,
      place: command.place,
      diedInPreferredPlace,
    },
    ctx,
  );
  return { ok: true, value: updated, events: [event, ...unpublished(plan, updated, 'died', ctx)] };
};

/**
 * Before any plan the care team is the GP practice and the organisation that enrolled the
 * patient; it changes with the plan's revisions, so there is nothing to change it on yet.
 */
const planOfCareTeam = (plan: Plan | null, enrolled: boolean): Refusal | null =>
  plan || !enrolled
    ? live(plan)
    : stateConflict(
        'start the plan first: until then the care team is the GP practice and the organisation that enrolled the patient',
      );

export type CareTeamChange = { organisation: string; reason?: string };

/**
 * Adds an organisation to the care team (its staff may read the plan from then on), as the next
 * revision. One already there is no change: no revision, no event.
 */
export const joinCareTeam = (
  plan: Plan | null,
  enrolled: boolean,
  change: CareTeamChange,
  ctx: CommandContext,
): Outcome<Plan> => {
  const refusal = mayCommand(ctx.actor, 'joinCareTeam', ctx.relationship) ?? planOfCareTeam(plan, enrolled);
  if (refusal || !plan) return refuse(refusal ?? notFound('this patient has no plan'));
  const { organisation } = change;
  if (plan.careTeam.includes(organisation)) return { ok: true, value: plan, events: [] };
  const by = actorRef(ctx.actor);
  const updated = next(
    plan,
    ctx,
    {
      careTeam: [...plan.careTeam, organisation],
      careTeamDetails: { ...plan.careTeamDetails, [organisation]: joined('added', ctx, change.reason) },
    },
    false,
  );
  const event = raise(
    'CareTeam.Joined',
    { nhsNumber: plan.nhsNumber, revision: updated.revision, organisation, addedBy: by },
    ctx,
  );
  return { ok: true, value: updated, events: [event] };
};

/**
 * Takes an organisation out of the care team, and out of the plan's authors, so its staff lose
 * access at once, drafts included. The GP practice stays; a draft submitted to the organisation
 * must be returned first.
 */
export const leaveCareTeam = (
  plan: Plan | null,
  enrolled: { gpPractice: string } | null,
  change: CareTeamChange,
  ctx: CommandContext,
): Outcome<Plan> => {
  const refusal =
    mayCommand(ctx.actor, 'leaveCareTeam', ctx.relationship) ?? planOfCareTeam(plan, enrolled !== null);
  if (refusal || !plan) return refuse(refusal ?? notFound('this patient has no plan'));
  const { organisation } = change;
  if (!plan.careTeam.includes(organisation))
    return refuse(notFound('this organisation is not in the care team'));
  if (organisation === enrolled?.gpPractice)
    return refuse(invalidCommand("the patient's GP practice stays in the care team: it cannot be removed"));
  if (plan.draft?.state === 'submitted' && plan.draft.submittedTo?.organisation === organisation)
    return refuse(stateConflict('the draft is submitted to this organisation: it must be returned first'));
  const { [organisation]: _left, ...details } = plan.careTeamDetails ?? {};
  const others = (list: readonly string[]) => list.filter((ods) => ods !== organisation);
  const by = actorRef(ctx.actor);
  const updated = next(
    plan,
    ctx,
    { careTeam: others(plan.careTeam), authors: others(plan.authors), careTeamDetails: details },
    false,
  );
  const event = raise(
    'CareTeam.Left',
    {
      nhsNumber: plan.nhsNumber,
      revision: updated.revision,
      organisation,
      removedBy: by,
    },
    ctx,
  );
  return { ok: true, value: updated, events: [event] };
};

/**
 * Staff never see the key safe outside the crisis summary, so a preferences section they send
 * without it keeps the patient's; only naming it changes it.
 */
const keepHomeAccess = (actor: Actor, before: Sections, given: Sections): Sections => {
  const kept = before.preferences?.homeAccess;
  if (
    actor.kind !== 'staff' ||
    !given.preferences ||
    given.preferences.homeAccess !== undefined ||
    kept === undefined
  ) {
    return given;
  }
  return { ...given, preferences: { ...given.preferences, homeAccess: kept } };
};

const pick = (sections: Sections, names: readonly SectionName[]): Sections =>
  Object.fromEntries(names.map((name) => [name, sections[name]]));

/** Every change carries the revision it was based on: a stale one is refused, so no update is lost. */
export const expectRevision = (plan: Plan, ifMatch: number): Refusal | null =>
  plan.revision === ifMatch
    ? null
    : {
        kind: 'RevisionConflict',
        reason: 'the plan has changed since you read it',
        currentRevision: plan.revision,
      };

/**
 * The answer to a command on an existing plan, given the revision the caller based it on. Who may
 * give it comes first (403, or 404 for no plan): a stale revision must not tell a stranger
 * anything. Then the stale revision, then whatever else the domain refused.
 */
export const commandRefusal = (
  plan: Plan | null,
  basedOn: number | undefined,
  outcome: Outcome<Plan>,
): Refusal | null => {
  if (!outcome.ok && (outcome.refusal.kind === 'Forbidden' || outcome.refusal.kind === 'NotFound')) {
    return outcome.refusal;
  }
  const stale = plan && basedOn !== undefined ? expectRevision(plan, basedOn) : null;
  return stale ?? (outcome.ok ? null : outcome.refusal);
};

/** The version a command's revision published, if any: only ratification publishes one. */
export const versionPublishedBy = (command: PlanCommandName, plan: Plan): number | undefined =>
  command === 'ratify' ? plan.published?.version : undefined;
