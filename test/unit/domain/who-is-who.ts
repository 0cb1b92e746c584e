import { readAccessLog, readPlan, readWorklist, reviewBreakGlass } from '../../../domain/access.ts';
import type { StaffRole } from '../../../domain/actor.ts';
import { actingFor, type GrantRecord, grantCarer, revokeCarer } from '../../../domain/carers.ts';
import {
  createPlan,
  editDraft,
  enrolPatient,
  leaveCareTeam,
  ratifyPlan,
  returnPlan,
  submitPlan,
  withdrawPlan,
} from '../../../domain/lifecycle.ts';
import { maySeeDraft, relationshipOf } from '../../../domain/permissions.ts';
import type { Draft, Plan } from '../../../domain/plan.ts';
import {
  AMBULANCE,
  CARER_NHS,
  citizen,
  ctxOf,
  GP_PRACTICE,
  HOSPICE,
  NHS,
  NOW,
  OTHER_NHS,
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
};
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
  },
  contributor: { ...none, editSubmittedToThem: 'locked', seeOwnDraft: true },
  careTeamReader: none,
  urgentCare: { ...none, urgentCare: true },
  privacyOfficer: { ...none, breakGlassReports: true },
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
  };
};

/**
 * docs/domain.md "Carers", written out by hand: what a carer (signed in as themselves) may do for
 * the patient, by the grant the patient gave them. An expired or a revoked grant is no grant.
 */
export type CarerDecisions = {
  readPlan: boolean;
  seeDraft: boolean;
  create: boolean;
  editPatientSection: boolean;
  editClinicianSection: boolean;
  submit: boolean;
  withdraw: boolean;
  enrol: boolean;
  ratify: boolean;
  readAccessLog: boolean;
  revokeOwnGrant: boolean;
  grantAnotherCarer: boolean;
  removeFromCareTeam: boolean;
};
export const carerGrantKinds = ['none', 'read', 'coAuthor', 'expired', 'revoked'] as const;
export type CarerGrantKind = (typeof carerGrantKinds)[number];

const noAccess: CarerDecisions = {
  readPlan: false,
  seeDraft: false,
  create: false,
  editPatientSection: false,
  editClinicianSection: false,
  submit: false,
  withdraw: false,
  enrol: false,
  ratify: false,
  readAccessLog: false,
  revokeOwnGrant: false,
  grantAnotherCarer: false,
  removeFromCareTeam: false,
};
const reader: CarerDecisions = {
  ...noAccess,
  readPlan: true,
  seeDraft: true,
  readAccessLog: true,
  revokeOwnGrant: true,
};
export const carers: Record<CarerGrantKind, CarerDecisions> = {
  none: noAccess,
  read: reader,
  coAuthor: { ...reader, create: true, editPatientSection: true, submit: true },
  expired: noAccess,
  revoked: noAccess,
};

const grantOf = (kind: CarerGrantKind): GrantRecord[] => {
  if (kind === 'none') return [];
  const grant = {
    id: '1',
    nhsNumber: NHS,
    carer: { nhsNumber: CARER_NHS, name: 'Ruth Byron' },
    relationship: 'daughter',
    legalBasis: 'patient-consent' as const,
    access: kind === 'read' ? ('read' as const) : ('co-author' as const),
    ...(kind === 'expired' && { until: '2026-11-20' }),
    grantedBy: { id: 'patient', role: 'patient' as const },
    grantedAt: '2026-11-01T10:00:00.000Z',
  };
  const revocation =
    kind === 'revoked'
      ? { grantId: '1', revokedBy: grant.grantedBy, revokedAt: '2026-11-02T10:00:00.000Z', reason: 'ended' }
      : null;
  return [{ grant, revocation }];
};

/** What the domain decides today for a carer with this kind of grant, on the patient's plan as it stands. */
export const carerDecisionsOf = (kind: CarerGrantKind): CarerDecisions => {
  const grants = grantOf(kind);
  const actor = actingFor(citizen('carer', CARER_NHS), NHS, grants, NOW);
  const relationship = relationshipOf(actor, { nhsNumber: NHS, careTeam: [GP_PRACTICE, HOSPICE] });
  const ctx = ctxOf(actor, relationship);
  const drafted = planFixture({ careTeam: [GP_PRACTICE, HOSPICE], authors: [GP_PRACTICE], draft: draft() });
  const published = planFixture({
    careTeam: [GP_PRACTICE, HOSPICE],
    published: {
      version: 1,
      sections: {},
      ratifiedBy: { id: 'gp', role: 'gp', organisation: GP_PRACTICE },
      ratifiedAt: NOW,
    },
  });
  const profile = {
    nhsNumber: NHS,
    name: { given: 'Ada', family: 'Byron' },
    birthDate: '1941-02-11',
    postcode: 'SW1A 1AA',
    gpPractice: GP_PRACTICE,
  };
  const enrolled = { careTeam: [GP_PRACTICE, HOSPICE] };
  const own = grants[0] ?? null;
  return {
    readPlan: readPlan(actor, NHS, { enrolled, plan: published }).ok,
    seeDraft: maySeeDraft(actor, relationship, drafted),
    create: createPlan(null, { nhsNumber: NHS, ...enrolled }, { aboutMe: { whatMattersToMe: 'x' } }, ctx).ok,
    editPatientSection: editDraft(drafted, { aboutMe: { whatMattersToMe: 'the sea' } }, ctx).ok,
    editClinicianSection: editDraft(drafted, { treatment: { ceiling: 'comfort' } }, ctx).ok,
    submit: submitPlan(drafted, { organisation: GP_PRACTICE }, ctx).ok,
    withdraw: withdrawPlan(published, { reason: 'the family asked' }, ctx).ok,
    enrol: enrolPatient(profile, ctx).ok,
    ratify: ratifyPlan(drafted, {}, ctx).ok,
    readAccessLog: readAccessLog(actor, NHS).ok,
    revokeOwnGrant: own !== null && revokeCarer(own, 'moving abroad', ctx).ok,
    grantAnotherCarer: grantCarer(
      NHS,
      true,
      grants,
      {
        carer: { nhsNumber: OTHER_NHS, name: 'Tom Byron' },
        relationship: 'son',
        legalBasis: 'patient-consent',
        access: 'read',
      },
      ctx,
    ).ok,
    removeFromCareTeam: leaveCareTeam(published, { gpPractice: GP_PRACTICE }, { organisation: HOSPICE }, ctx)
      .ok,
  };
};
