import type { LaunchAction, PlanCommandName, ReadAction } from './actions.ts';
import { type Actor, type ActorRef, actorRef, onBehalfOf } from './actor.ts';
import { type DomainEvent, raise } from './events.ts';
import {
  accessLogScope,
  careTeamOf,
  forThePatient,
  isSharedWith,
  keepsWorklist,
  mayRead,
  mayReviewBreakGlass,
  type Relationship,
  relationshipOf,
  type Worklist,
} from './permissions.ts';
import type { Plan } from './plan.ts';
import { forbidden, notFound, type Refusal } from './refusals.ts';

/**
 * What the service tells whom about a patient beyond the policy's grants: the order of refusals,
 * so that no one learns from an answer what they may not know (whether a patient is enrolled,
 * has a plan, or what revision it is at).
 */
export type Decision<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };

const allow = <T>(value: T): Decision<T> => ({ ok: true, value });
const deny = <T>(refusal: Refusal): Decision<T> => ({ ok: false, refusal });

/**
 * The patient's record as stored: their plan if they have one, and their enrolment (null when
 * not enrolled), which the plan's readers need only when there is no plan.
 */
export type PatientState = { enrolled: { careTeam: readonly string[] } | null; plan: Plan | null };

/**
 * A citizen asking about someone else's NHS number learns nothing, not even whether it exists: a
 * carer without the patient's active grant gets the same answer as anyone else.
 */
export const refuseOtherCitizens = (actor: Actor, nhsNumber: string): Refusal | null =>
  actor.kind === 'citizen' && !forThePatient(relationshipOf(actor, { nhsNumber, careTeam: [] }))
    ? forbidden('you may see only your own record')
    : null;

/**
 * Whether this reader may read this patient's record, and how they stand to the patient. The care
 * team is the plan's, or the enrolment's, or none for a patient not enrolled: those who may not
 * read get the same 403 either way.
 */
export const authoriseRead = (
  actor: Actor,
  nhsNumber: string,
  state: PatientState,
  breakGlassReason?: string,
): Decision<Relationship> => {
  const careTeam = careTeamOf(state.enrolled ?? { careTeam: [] }, state.plan);
  const relationship = relationshipOf(actor, { nhsNumber, careTeam }, breakGlassReason);
  const refusal = refuseOtherCitizens(actor, nhsNumber) ?? mayRead(actor, relationship);
  return refusal ? deny(refusal) : allow(relationship);
};

/**
 * How the actor stands to the patient for a command on their plan: by the plan's care team (none
 * while there is no plan), or for the first draft by the care team made at enrolment.
 */
export const commandRelationship = (
  actor: Actor,
  nhsNumber: string,
  command: PlanCommandName,
  state: PatientState,
): Relationship =>
  relationshipOf(actor, {
    nhsNumber,
    careTeam:
      (command === 'create'
        ? state.enrolled?.careTeam
        : command === 'joinCareTeam' || command === 'leaveCareTeam'
          ? careTeamOf(state.enrolled ?? { careTeam: [] }, state.plan)
          : state.plan?.careTeam) ?? [],
  });

/** The patient's demographics: for whoever may read their record, and only then whether they are enrolled. */
export const readDemographics = <E extends { careTeam: readonly string[] }>(
  actor: Actor,
  nhsNumber: string,
  state: { enrolled: E | null; plan: Plan | null },
  breakGlassReason?: string,
): Decision<{ relationship: Relationship; enrolled: E }> => {
  const decision = authoriseRead(actor, nhsNumber, state, breakGlassReason);
  if (!decision.ok) return decision;
  if (!state.enrolled) return deny(notEnrolled());
  return allow({ relationship: decision.value, enrolled: state.enrolled });
};

/**
 * The plan, for a reader who may see it. Those who may not read this patient's record get the
 * same 403 whether or not there is a plan; a plan not shared with the reader (a draft they did
 * not write, a withdrawn or closed plan) is as if it did not exist.
 */
export const readPlan = (
  actor: Actor,
  nhsNumber: string,
  state: PatientState,
  breakGlassReason?: string,
): Decision<{ plan: Plan; relationship: Relationship }> => {
  const decision = authoriseRead(actor, nhsNumber, state, breakGlassReason);
  if (!decision.ok) return decision;
  const { plan } = state;
  if (!plan) return deny(notFound('this patient has no plan'));
  if (!isSharedWith(actor, decision.value, plan))
    return deny(notFound('this patient has no plan shared with you'));
  return allow({ plan, relationship: decision.value });
};

export const notEnrolled = (): Refusal => notFound('no patient with this NHS number is enrolled');

/**
 * Who is in the care team: for whoever may read the patient's record but those breaking glass
 * (it is no emergency read), from the plan or, before any plan, the enrolment.
 */
export const readCareTeam = (
  actor: Actor,
  nhsNumber: string,
  state: PatientState,
): Decision<Relationship> => {
  const decision = authoriseRead(actor, nhsNumber, state);
  if (!decision.ok) return decision;
  return state.enrolled || state.plan ? decision : deny(notEnrolled());
};

/**
 * Who may read a patient's access log, and which entries. `organisation` narrows it to that
 * organisation's staff; only a reader of the whole log needs the patient to be enrolled, so a
 * privacy officer gets the same empty list for a patient never enrolled as for one their staff
 * never touched.
 */
export const readAccessLog = (
  actor: Actor,
  nhsNumber: string,
): Decision<{ organisation?: string; needsEnrolledPatient: boolean }> => {
  const refusal = refuseOtherCitizens(actor, nhsNumber);
  if (refusal) return deny(refusal);
  const scope = accessLogScope(actor, relationshipOf(actor, { nhsNumber, careTeam: [] }));
  if (!scope)
    return deny(forbidden('only the patient, their carers and privacy officers read the access log'));
  return scope === 'ownOrganisation' && actor.kind === 'staff'
    ? allow({ organisation: actor.organisation, needsEnrolledPatient: false })
    : allow({ needsEnrolledPatient: true });
};

/** The break-glass reads of the reviewer's own organisation's staff. */
export const reviewBreakGlass = (actor: Actor): Decision<{ organisation: string }> =>
  actor.kind === 'staff' && mayReviewBreakGlass(actor)
    ? allow({ organisation: actor.organisation })
    : deny(forbidden('only privacy officers review break-glass reads'));

const worklistRefusals: Record<Worklist, string> = {
  ratifications: 'only ratifiers (GP, consultant, specialist nurse) have a ratification worklist',
  patients: 'only clinical and care staff list the patients whose care team their organisation is in',
};

/** A worklist of the reader's own organisation. */
export const readWorklist = (actor: Actor, worklist: Worklist): Decision<{ organisation: string }> =>
  actor.kind === 'staff' && keepsWorklist(actor, worklist)
    ? allow({ organisation: actor.organisation })
    : deny(forbidden(worklistRefusals[worklist]));

/** The patients of the reader's own organisation, for its clinical and care staff. */
export const readPatientsOf = (actor: Actor, organisation: string): Decision<{ organisation: string }> => {
  const decision = readWorklist(actor, 'patients');
  if (!decision.ok || decision.value.organisation === organisation) return decision;
  return deny(forbidden("you may list only your own organisation's patients"));
};

/** One audited read, as it is recorded and announced. */
export type AccessRecord = {
  nhsNumber: string;
  id: string;
  at: string;
  actor: ActorRef;
  action: ReadAction | LaunchAction;
  purpose: string | null;
  breakGlass: boolean;
  breakGlassReason?: string;
  /** A carer's read: the patient they acted for and the grant they acted under. */
  onBehalfOf?: string;
  grantId?: string;
  /** The organisation whose privacy officer reviews this read: the reader's, when they broke glass. */
  reportedTo?: string;
  events: DomainEvent[];
};

/** The access record of a read, written before anything is returned; break-glass reads are reported to the reader's organisation. */
export const accessRecord = (
  read: {
    actor: Actor;
    nhsNumber: string;
    action: ReadAction;
    relationship: Relationship;
    purpose: string | null;
    breakGlassReason?: string;
  },
  ctx: { now: string; newId: () => string },
): AccessRecord => {
  const id = ctx.newId();
  const reader = actorRef(read.actor);
  const breakGlass = read.relationship === 'breakGlass';
  const event = raise(
    'CarePlan.Accessed',
    {
      nhsNumber: read.nhsNumber,
      accessId: id,
      reader,
      action: read.action,
      purpose: read.purpose,
      breakGlass,
    },
    ctx,
  );
  return {
    nhsNumber: read.nhsNumber,
    id,
    at: ctx.now,
    actor: reader,
    action: read.action,
    purpose: read.purpose,
    breakGlass,
    ...onBehalfOf(read.actor),
    ...(breakGlass && { breakGlassReason: read.breakGlassReason }),
    ...(breakGlass && read.actor.kind === 'staff' && { reportedTo: read.actor.organisation }),
    events: [event],
  };
};
