import type { CommandName } from './actions.ts';
import type { Actor, CitizenActor, Role } from './actor.ts';
import type { Plan } from './plan.ts';
import { forbidden, type Refusal } from './refusals.ts';
import { type SectionName, sectionNames } from './sections.ts';

/**
 * How the reader stands to this patient. `self` is the patient; `proxyRead` and `proxyCoAuthor`
 * a carer under the patient's active grant with that access; `careTeam` is staff of an
 * organisation in the care team; `urgentCare` is an ambulance, NHS 111 or A&E role outside it;
 * `breakGlass` is other staff who stated an emergency reason.
 */
export type Relationship =
  | 'self'
  | 'proxyRead'
  | 'proxyCoAuthor'
  | 'careTeam'
  | 'urgentCare'
  | 'breakGlass'
  | 'none';

/** The patient, or a carer acting for them under a grant: they see the plan as the patient does. */
export const forThePatient = (relationship: Relationship): boolean =>
  relationship === 'self' || relationship === 'proxyRead' || relationship === 'proxyCoAuthor';

/**
 * Lists a role may keep: `ratifications` is the drafts submitted to its organisation, `patients`
 * the patients whose care team it is in.
 */
export type Worklist = 'ratifications' | 'patients';

const patientSections: readonly SectionName[] = ['personal', 'contacts', 'aboutMe', 'preferences', 'legal'];
const allSections: readonly SectionName[] = sectionNames;

type Grant = {
  /** Relationships under which the role may read the published plan, its summary and history. */
  reads: readonly Relationship[];
  /** Sections the role may write into a draft. */
  writes: readonly SectionName[];
  /** Commands the role may give, each with the relationships it needs. */
  commands: Partial<Record<CommandName, readonly Relationship[]>>;
  /** Whether the role may read the patient's access log (privacy officers see their own organisation's entries). */
  accessLog: 'all' | 'ownOrganisation' | 'none';
  /** Whether the role reviews the break-glass reads of its own organisation's staff. */
  breakGlassReports?: true;
  /** The worklists of its own organisation the role keeps. */
  worklists?: readonly Worklist[];
};

const anyStaff: readonly Relationship[] = ['careTeam', 'urgentCare', 'breakGlass', 'none'];
const proxy: readonly Relationship[] = ['proxyRead', 'proxyCoAuthor'];
const patient: Grant = {
  reads: ['self'],
  writes: patientSections,
  commands: {
    enrol: ['self'],
    create: ['self'],
    edit: ['self'],
    submit: ['self'],
    withdraw: ['self'],
    // Any organisation but their GP practice (domain/lifecycle.ts leaveCareTeam).
    leaveCareTeam: ['self'],
    grantCarer: ['self'],
    revokeCarer: ['self'],
  },
  accessLog: 'all',
};
/** A carer acts only under the patient's active grant: co-author writes the patient's sections, read only reads. */
const carer: Grant = {
  reads: proxy,
  writes: patientSections,
  commands: {
    create: ['proxyCoAuthor'],
    edit: ['proxyCoAuthor'],
    submit: ['proxyCoAuthor'],
    // Their own grant only (domain/carers.ts revokeCarer).
    revokeCarer: proxy,
  },
  accessLog: 'all',
};
const contributor: Grant = {
  reads: ['careTeam', 'breakGlass'],
  writes: allSections,
  // Any clinician may enrol a patient new to them (their organisation joins the care team);
  // only the care team may start the plan of a patient already enrolled.
  commands: {
    enrol: anyStaff,
    create: ['careTeam'],
    edit: ['careTeam'],
    submit: ['careTeam'],
    joinCareTeam: ['careTeam'],
    leaveCareTeam: ['careTeam'],
  },
  accessLog: 'none',
  worklists: ['patients'],
};
const ratifier: Grant = {
  ...contributor,
  commands: {
    ...contributor.commands,
    ratify: ['careTeam'],
    return: ['careTeam'],
    withdraw: ['careTeam'],
    recordDeath: ['careTeam'],
    // For a patient who lacks capacity, under a legal basis other than consent (domain/carers.ts).
    grantCarer: ['careTeam'],
    revokeCarer: ['careTeam'],
  },
  worklists: ['ratifications', 'patients'],
};
const careTeamReader: Grant = {
  reads: ['careTeam', 'breakGlass'],
  writes: [],
  commands: {},
  accessLog: 'none',
  worklists: ['patients'],
};
const urgentCare: Grant = {
  reads: ['careTeam', 'urgentCare'],
  writes: [],
  commands: {},
  accessLog: 'none',
  worklists: ['patients'],
};
const urgentCareRecordingDeath: Grant = {
  ...urgentCare,
  commands: { recordDeath: ['careTeam', 'urgentCare'] },
};

/** docs/domain.md "Who is who", one row a role. */
export const policy: Record<Role, Grant> = {
  patient,
  carer,
  gp: ratifier,
  consultant: ratifier,
  specialist_nurse: ratifier,
  nurse: contributor,
  hospice_clinician: contributor,
  care_home: careTeamReader,
  social_worker: careTeamReader,
  paramedic: urgentCareRecordingDeath,
  call_handler: urgentCare,
  ed_clinician: urgentCareRecordingDeath,
  privacy_officer: {
    reads: [],
    writes: [],
    commands: {},
    accessLog: 'ownOrganisation',
    breakGlassReports: true,
  },
  admin: { reads: [], writes: [], commands: {}, accessLog: 'none' },
};

/** Whether the role may give the command under some relationship: the policy's answer, and nothing else's. */
export const mayEver = (role: Role, command: CommandName): boolean =>
  (policy[role].commands[command]?.length ?? 0) > 0;

/** Ratifiers: the roles that may ratify. */
const ratifies = (role: Role): boolean => mayEver(role, 'ratify');
/** Clinicians who write plans (contributors and ratifiers): the roles that may edit a draft as its care team. */
const writesPlans = (role: Role): boolean => policy[role].commands.edit?.includes('careTeam') === true;
/** Urgent care: the roles that may read a patient's plan from outside the care team without breaking glass. */
const readsAsUrgentCare = (role: Role): boolean => policy[role].reads.includes('urgentCare');

/** Who the patient's care team is: the plan's, or before any plan the one made at enrolment. */
export const careTeamOf = (
  enrolled: { careTeam: readonly string[] },
  plan: Plan | null,
): readonly string[] => (plan ? plan.careTeam : enrolled.careTeam);

/** A patient stands as `self` to their own record; a carer by the grant they act under, if it is this patient's. */
const citizenRelationship = (actor: CitizenActor, nhsNumber: string): Relationship => {
  if (actor.role === 'patient') return actor.nhsNumber === nhsNumber ? 'self' : 'none';
  if (actor.proxy?.nhsNumber !== nhsNumber) return 'none';
  return actor.proxy.access === 'co-author' ? 'proxyCoAuthor' : 'proxyRead';
};

export const relationshipOf = (
  actor: Actor,
  patient: { nhsNumber: string; careTeam: readonly string[] },
  breakGlassReason?: string,
): Relationship => {
  if (actor.kind === 'citizen') return citizenRelationship(actor, patient.nhsNumber);
  if (actor.kind === 'serviceAdmin') return 'none';
  if (patient.careTeam.includes(actor.organisation)) return 'careTeam';
  if (readsAsUrgentCare(actor.role)) return 'urgentCare';
  return breakGlassReason ? 'breakGlass' : 'none';
};

export const mayRead = (actor: Actor, relationship: Relationship): Refusal | null =>
  policy[actor.role].reads.includes(relationship)
    ? null
    : forbidden(
        actor.kind === 'citizen'
          ? actor.role === 'carer'
            ? 'you may read only the plans of patients whose active grant names you'
            : 'you may read only your own plan'
          : `a ${actor.role} outside the patient's care team may not read this plan; in an emergency, use break-glass`,
      );

export const mayCommand = (
  actor: Actor,
  command: CommandName,
  relationship: Relationship,
): Refusal | null => {
  const needs = policy[actor.role].commands[command];
  if (!needs || needs.length === 0) return forbidden(`a ${actor.role} may not ${describe[command]}`);
  if (!needs.includes(relationship)) {
    return forbidden(
      actor.kind === 'citizen'
        ? actor.role === 'carer'
          ? `your grant does not let you ${describe[command]}`
          : `you may ${describe[command]} only for yourself`
        : `a ${actor.role} may ${describe[command]} only for a patient in their organisation's care team`,
    );
  }
  return null;
};

export const mayWriteSections = (actor: Actor, sections: readonly SectionName[]): Refusal | null => {
  const refused = sections.filter((s) => !policy[actor.role].writes.includes(s));
  return refused.length === 0
    ? null
    : forbidden(
        `a ${actor.role} may not write the ${refused.join(', ')} section${refused.length > 1 ? 's' : ''}`,
      );
};

/** A submitted draft is the business of the ratifiers of the organisation it was sent to. */
export const isRatifierOf = (actor: Actor, draft: { submittedTo?: { organisation: string } }): boolean =>
  actor.kind === 'staff' && ratifies(actor.role) && draft.submittedTo?.organisation === actor.organisation;

/** Withdrawn and closed plans are terminal for sharing: only the patient and their carers still see them. */
const terminal = (plan: Plan): boolean => plan.withdrawal !== null || plan.death !== null;

/** Drafts are seen only by the patient, their carers, the plan's authors and the ratifier it was sent to. */
export const maySeeDraft = (actor: Actor, relationship: Relationship, plan: Plan): boolean =>
  forThePatient(relationship) ||
  (actor.kind === 'staff' &&
    !terminal(plan) &&
    ((writesPlans(actor.role) && plan.authors.includes(actor.organisation)) ||
      (plan.draft !== null && isRatifierOf(actor, plan.draft))));

export const mayReviewBreakGlass = (actor: Actor): boolean => policy[actor.role].breakGlassReports === true;

export const keepsWorklist = (actor: Actor, worklist: Worklist): boolean =>
  policy[actor.role].worklists?.includes(worklist) === true;

export const accessLogScope = (
  actor: Actor,
  relationship: Relationship,
): 'all' | 'ownOrganisation' | null => {
  const scope = policy[actor.role].accessLog;
  if (scope === 'all') return forThePatient(relationship) ? 'all' : null;
  return scope === 'ownOrganisation' ? scope : null;
};

const describe: Record<CommandName, string> = {
  enrol: 'enrol a patient',
  create: 'create a plan',
  edit: 'edit a plan',
  submit: 'submit a plan for ratification',
  ratify: 'ratify a plan',
  return: 'return a plan',
  withdraw: 'withdraw a plan',
  recordDeath: 'record a death',
  joinCareTeam: 'add an organisation to the care team',
  leaveCareTeam: 'remove an organisation from the care team',
  grantCarer: 'grant a carer access',
  revokeCarer: "revoke a carer's access",
};

/**
 * Only a published plan is shared beyond the patient and its authors, and a withdrawn or closed
 * plan with no one but the patient; to everyone else such a plan is as if it did not exist.
 */
export const isSharedWith = (actor: Actor, relationship: Relationship, plan: Plan): boolean =>
  forThePatient(relationship) ||
  (!terminal(plan) && (maySeeDraft(actor, relationship, plan) || plan.published !== null));
