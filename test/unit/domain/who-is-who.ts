import { readOutcomeReport, readWorklist, reviewBreakGlass, searchPatients } from '../../../domain/access.ts';
import type { StaffRole } from '../../../domain/actor.ts';
import { editDraft, ratifyPlan, returnPlan } from '../../../domain/lifecycle.ts';
import { maySeeDraft, relationshipOf } from '../../../domain/permissions.ts';
import type { Draft, Plan } from '../../../domain/plan.ts';
import {
  AMBULANCE,
  ctxOf,
  GP_PRACTICE,
  HOSPICE,
  NHS,
  NOW,
  OTHER_PRACTICE,
  planFixture,
  staff,
} from './fixtures.ts';

/**
 * docs/domain.md "Who is who", written out by hand (not from domain/permissions.ts): for a member
 * of staff of an organisation in the care team, every decision that turns on what kind of role
 * they have. `kinds` is the doc's grouping; `decisions` what each kind may do.
 */
export type Decisions = {
  /** Ratify a draft submitted to their organisation. */
  ratifySubmittedToThem: boolean;
  /** Ratify a draft their organisation wrote (not submitted). */
  ratifyOwnDraft: boolean;
  /** Return a draft submitted to their organisation. */
  returnSubmittedToThem: boolean;
  /** Edit a draft submitted to their organisation (locked for everyone but its ratifiers). */
  editSubmittedToThem: 'allowed' | 'locked' | 'forbidden';
  /** See the draft their organisation wrote. */
  seeOwnDraft: boolean;
  /** See a draft they did not write but that was submitted to their organisation. */
  seeDraftSubmittedToThem: boolean;
  /** Keep the ratification worklist of their organisation. */
  ratificationWorklist: boolean;
  /** Review their organisation's break-glass reads. */
  breakGlassReports: boolean;
  /** Read a patient outside their care team without breaking glass (urgent care). */
  urgentCare: boolean;
  /** Keep the review worklist of their organisation. */
  reviewWorklist: boolean;
  /** Whose outcome report they read: their own organisation's, any organisation's, or none. */
  outcomeReport: 'own' | 'any' | 'none';
  /** Search for patients by name and birth date. */
  search: boolean;
};

const none: Decisions = {
  ratifySubmittedToThem: false,
  ratifyOwnDraft: false,
  returnSubmittedToThem: false,
  editSubmittedToThem: 'forbidden',
  seeOwnDraft: false,
  seeDraftSubmittedToThem: false,
  ratificationWorklist: false,
  breakGlassReports: false,
  urgentCare: false,
  reviewWorklist: false,
  outcomeReport: 'none',
  search: false,
};
/** Clinicians who write plans: their own organisation's reviews and outcomes, and search. */
const writesPlans = { reviewWorklist: true, outcomeReport: 'own', search: true } as const;
export const kinds = {
  ratifier: {
    ratifySubmittedToThem: true,
    ratifyOwnDraft: true,
    returnSubmittedToThem: true,
    editSubmittedToThem: 'allowed',
    seeOwnDraft: true,
    seeDraftSubmittedToThem: true,
    ratificationWorklist: true,
    breakGlassReports: false,
    urgentCare: false,
    ...writesPlans,
  },
  contributor: { ...none, editSubmittedToThem: 'locked', seeOwnDraft: true, ...writesPlans },
  careTeamReader: none,
  urgentCare: { ...none, urgentCare: true, search: true },
  privacyOfficer: { ...none, breakGlassReports: true },
  commissioner: { ...none, outcomeReport: 'any' },
  admin: none,
} satisfies Record<string, Decisions>;

export const whoIsWho: Record<StaffRole, Decisions> = {
  gp: kinds.ratifier,
  consultant: kinds.ratifier,
  specialist_nurse: kinds.ratifier,
  nurse: kinds.contributor,
  hospice_clinician: kinds.contributor,
  care_home: kinds.careTeamReader,
  social_worker: kinds.careTeamReader,
  paramedic: kinds.urgentCare,
  call_handler: kinds.urgentCare,
  ed_clinician: kinds.urgentCare,
  privacy_officer: kinds.privacyOfficer,
  commissioner: kinds.commissioner,
  admin: kinds.admin,
};

const draft = (change: Partial<Draft> = {}): Draft => ({
  state: 'editing',
  sections: { aboutMe: { whatMattersToMe: 'my garden' } },
  basedOnVersion: null,
  updatedAt: NOW,
  updatedBy: { id: 'gp', role: 'gp', organisation: GP_PRACTICE },
  ...change,
});
/** Written by the GP practice, submitted to the hospice; both in the care team. */
const submittedToHospice: Plan = planFixture({
  careTeam: [GP_PRACTICE, HOSPICE],
  authors: [GP_PRACTICE],
  draft: draft({ state: 'submitted', submittedTo: { organisation: HOSPICE }, submittedAt: NOW }),
});
/** Written by the hospice, not submitted. */
const writtenByHospice: Plan = planFixture({
  careTeam: [GP_PRACTICE, HOSPICE],
  authors: [HOSPICE],
  draft: draft(),
});

/** What the domain decides today for a member of staff of the hospice, in the care team. */
export const decisionsOf = (role: StaffRole): Decisions => {
  const actor = staff(role, HOSPICE);
  const ctx = ctxOf(actor, 'careTeam');
  const edit = editDraft(submittedToHospice, { aboutMe: { whatMattersToMe: 'the sea' } }, ctx);
  return {
    ratifySubmittedToThem: ratifyPlan(submittedToHospice, {}, ctx).ok,
    ratifyOwnDraft: ratifyPlan(writtenByHospice, {}, ctx).ok,
    returnSubmittedToThem: returnPlan(submittedToHospice, { comments: 'add a contact' }, ctx).ok,
    editSubmittedToThem: edit.ok
      ? 'allowed'
      : edit.refusal.kind === 'PlanStateConflict'
        ? 'locked'
        : 'forbidden',
    seeOwnDraft: maySeeDraft(actor, 'careTeam', writtenByHospice),
    seeDraftSubmittedToThem: maySeeDraft(actor, 'careTeam', submittedToHospice),
    ratificationWorklist: readWorklist(actor, 'ratifications').ok,
    breakGlassReports: reviewBreakGlass(actor).ok,
    urgentCare:
      relationshipOf(staff(role, AMBULANCE), { nhsNumber: NHS, careTeam: [GP_PRACTICE] }) === 'urgentCare',
    reviewWorklist: readWorklist(actor, 'reviews').ok,
    outcomeReport: readOutcomeReport(actor, OTHER_PRACTICE).ok
      ? 'any'
      : readOutcomeReport(actor, HOSPICE).ok
        ? 'own'
        : 'none',
    search: searchPatients(actor) === null,
  };
};
