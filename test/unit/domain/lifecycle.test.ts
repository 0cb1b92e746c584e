import { describe, expect, it } from 'vitest';
import { type Actor, actorRef } from '../../../domain/actor.ts';
import type { DomainEvent } from '../../../domain/events.ts';
import {
  type CommandContext,
  createPlan,
  editDraft,
  enrolPatient,
  expectRevision,
  type Outcome,
  ratifyPlan,
  recordDeath,
  returnPlan,
  submitPlan,
  withdrawPlan,
} from '../../../domain/lifecycle.ts';
import { maySeeDraft, type Relationship } from '../../../domain/permissions.ts';
import { type PatientProfile, type Plan, planStatus } from '../../../domain/plan.ts';
import type { SectionName, Sections } from '../../../domain/sections.ts';
import { CrisisSummary, crisisSummary, PlanView, planView } from '../../../domain/views.ts';
import {
  AMBULANCE,
  accepted,
  allSections,
  CARE_HOME,
  callHandler,
  careHome,
  carer,
  clinicalStrings,
  clinicianSections,
  counter,
  ctxOf,
  deepFreeze,
  EMERGENCY_DEPT,
  edClinician,
  GP_PRACTICE,
  gp,
  HOSPICE,
  hospiceConsultant,
  hospiceNurse,
  LATER,
  NHS,
  NOW,
  OTHER_PRACTICE,
  otherGp,
  paramedic,
  patient,
  patientSections,
  refused,
  staff,
  stranger,
  TODAY,
} from './fixtures.ts';

const patientRecord = { nhsNumber: NHS, careTeam: [GP_PRACTICE] };
/** Enrolled by the hospice: its staff are in the care team from the start. */
const enrolledByHospice = { nhsNumber: NHS, careTeam: [GP_PRACTICE, HOSPICE] };

/** Runs a command that must succeed and freezes the plan it returns, so later commands cannot mutate it. */
const ok = (outcome: Outcome<Plan>): Plan => deepFreeze(accepted(outcome).value);

/** The plan at each point of the story, built with the domain's own commands. */
const states = {
  /** The patient's own draft with patient sections; nobody from staff has written it. */
  draft: (): Plan => ok(createPlan(null, patientRecord, patientSections(), ctxOf(patient, 'self'))),
  /** The patient's draft submitted to their GP practice. */
  submitted: (): Plan =>
    ok(submitPlan(states.draft(), { organisation: GP_PRACTICE }, ctxOf(patient, 'self'))),
  /** Written whole by a hospice nurse (new to the patient), then submitted to the GP practice. */
  hospiceSubmitted: (): Plan => {
    const draft = ok(createPlan(null, enrolledByHospice, allSections(), ctxOf(hospiceNurse, 'careTeam')));
    return ok(submitPlan(draft, { organisation: GP_PRACTICE }, ctxOf(hospiceNurse, 'careTeam')));
  },
  /** Version 1, ratified by the GP after adding the clinical sections; no draft. */
  published: (): Plan => {
    const edited = ok(editDraft(states.submitted(), clinicianSections(), ctxOf(gp, 'careTeam')));
    return ok(ratifyPlan(edited, {}, ctxOf(gp, 'careTeam')));
  },
  /** Version 1 published, with an amendment by the GP waiting in the draft. */
  amending: (): Plan =>
    ok(
      editDraft(
        states.published(),
        {
          cpr: { decision: 'for_cpr' },
          preferences: { preferredPlaceOfDeath: { code: 'hospice' } },
        },
        ctxOf(gp, 'careTeam'),
      ),
    ),
  withdrawn: (): Plan =>
    ok(withdrawPlan(states.published(), { reason: 'changed my mind' }, ctxOf(patient, 'self'))),
  closed: (): Plan =>
    ok(recordDeath(states.published(), { date: TODAY, place: 'home' }, ctxOf(gp, 'careTeam'))),
};

/** Every event must be thin: none of the plan's clinical text. */
const expectNoClinicalContent = (events: DomainEvent[]) => {
  const json = JSON.stringify(events);
  for (const text of clinicalStrings) expect(json).not.toContain(text);
};

describe('the story of one plan', () => {
  it('goes from a patient draft to version 2, raising thin events with fresh ids', () => {
    const newId = counter();
    const as = (actor: Actor, relationship: Relationship): CommandContext =>
      ctxOf(actor, relationship, { newId });
    const events: DomainEvent[] = [];
    const step = (outcome: Outcome<Plan>): Plan => {
      const { value, events: raised } = accepted(outcome);
      events.push(...raised);
      return deepFreeze(value);
    };

    // The patient creates a draft with the sections a patient writes.
    const v1draft = step(createPlan(null, patientRecord, patientSections(), as(patient, 'self')));
    expect(planStatus(v1draft)).toBe('draft');
    expect(v1draft.revision).toBe(1);

    // Writing the CPR section is a clinician's job: 403 naming the section.
    const cprRefusal = refused(
      editDraft(v1draft, { cpr: { decision: 'not_discussed' } }, as(patient, 'self')),
    );
    expect(cprRefusal.kind).toBe('Forbidden');
    expect(cprRefusal.reason).toContain('cpr');

    // Submitted to the GP practice, it is locked for the patient.
    const submitted = step(
      submitPlan(v1draft, { organisation: GP_PRACTICE, clinician: 'dr.patel' }, as(patient, 'self')),
    );
    expect(planStatus(submitted)).toBe('submitted');
    expect(submitted.revision).toBe(2);
    expect(
      refused(editDraft(submitted, { aboutMe: { whatMattersToMe: 'x' } }, as(patient, 'self'))).kind,
    ).toBe('PlanStateConflict');

    // The GP, a ratifier of that organisation, adds the CPR decision and ratifies.
    const withCpr = step(editDraft(submitted, { cpr: clinicianSections().cpr }, as(gp, 'careTeam')));
    expect(withCpr.revision).toBe(3);
    expect(withCpr.draft?.state).toBe('submitted');
    const v1 = step(ratifyPlan(withCpr, {}, as(gp, 'careTeam')));
    expect(v1.revision).toBe(4);
    expect(planStatus(v1)).toBe('published');
    expect(v1.draft).toBeNull();
    expect(v1.published).toEqual({
      version: 1,
      sections: { ...patientSections(), cpr: clinicianSections().cpr },
      ratifiedBy: { id: gp.id, role: 'gp', organisation: GP_PRACTICE },
      ratifiedAt: NOW,
    });

    // An amendment makes a draft from the published sections; the plan stays published.
    const amending = step(
      editDraft(v1, { treatment: { ceiling: 'comfort', carePriority: 5 } }, as(gp, 'careTeam')),
    );
    expect(planStatus(amending)).toBe('published');
    expect(amending.published).toBe(v1.published);
    expect(amending.draft).toMatchObject({
      state: 'editing',
      basedOnVersion: 1,
      sections: { ...v1.published?.sections, treatment: { ceiling: 'comfort', carePriority: 5 } },
    });

    const v2 = step(ratifyPlan(amending, { note: 'ceiling agreed' }, as(gp, 'careTeam')));
    expect(v2.published?.version).toBe(2);
    expect(v2.published?.note).toBe('ceiling agreed');
    expect(v2.published?.sections.treatment).toEqual({ ceiling: 'comfort', carePriority: 5 });
    expect(v2.draft).toBeNull();
    expect(v2.revision).toBe(6);

    expect(events.map((event) => [event.id, event.type, event.at])).toEqual([
      ['id-1', 'CarePlan.Created', NOW],
      ['id-2', 'CarePlan.Submitted', NOW],
      ['id-3', 'CarePlan.DraftUpdated', NOW],
      ['id-4', 'CarePlan.Ratified', NOW],
      ['id-5', 'CarePlan.Published', NOW],
      ['id-6', 'CarePlan.DraftUpdated', NOW],
      ['id-7', 'CarePlan.Ratified', NOW],
      ['id-8', 'CarePlan.Published', NOW],
    ]);
    expect(events.map((event) => ('revision' in event.detail ? event.detail.revision : null))).toEqual([
      1, 2, 3, 4, 4, 5, 6, 6,
    ]);
    // Each publication points the record locator at its version, superseding the one before.
    const pointers = events.flatMap((e) => (e.type === 'CarePlan.Published' ? [e.detail] : []));
    expect(pointers.map((p) => [p.version, p.pointer.id, p.pointer.url, p.replaces])).toEqual([
      [1, `${NHS}-v1`, `https://ucp.test/patients/${NHS}/plan/fhir?version=1`, null],
      [2, `${NHS}-v2`, `https://ucp.test/patients/${NHS}/plan/fhir?version=2`, `${NHS}-v1`],
    ]);
    expectNoClinicalContent(events);
  });
});

describe('createPlan', () => {
  it('makes a patient their own first draft', () => {
    const { value: plan, events } = accepted(
      createPlan(null, patientRecord, patientSections(), ctxOf(patient, 'self', { now: LATER })),
    );
    expect(plan).toEqual({
      nhsNumber: NHS,
      revision: 1,
      createdAt: LATER,
      updatedAt: LATER,
      published: null,
      draft: {
        state: 'editing',
        sections: patientSections(),
        basedOnVersion: null,
        updatedAt: LATER,
        updatedBy: { id: patient.id, role: 'patient' },
      },
      careTeam: [GP_PRACTICE],
      careTeamDetails: {},
      authors: [],
      withdrawal: null,
      death: null,
    });
    expect(planStatus(plan)).toBe('draft');
    expect(events).toEqual([
      {
        id: 'id-1',
        type: 'CarePlan.Created',
        at: LATER,
        detail: {
          nhsNumber: NHS,
          revision: 1,
          createdBy: { id: patient.id, role: 'patient' },
          sections: ['contacts', 'aboutMe', 'preferences'],
        },
      },
    ]);
  });

  it.each([
    ['a carer', carer, 'proxyCoAuthor', patientSections(), [GP_PRACTICE, HOSPICE], []],
    [
      'a hospice nurse of the enrolling hospice',
      hospiceNurse,
      'careTeam',
      allSections(),
      [GP_PRACTICE, HOSPICE],
      [HOSPICE],
    ],
    ['the GP of the practice', gp, 'careTeam', allSections(), [GP_PRACTICE, HOSPICE], [GP_PRACTICE]],
  ] as const)(
    'lets %s create it; the care team and authors follow',
    (_, actor, relationship, sections, careTeam, authors) => {
      const plan = ok(createPlan(null, enrolledByHospice, sections, ctxOf(actor, relationship)));
      expect(plan.careTeam).toEqual(careTeam);
      expect(plan.authors).toEqual(authors);
      expect(plan.draft?.sections).toEqual(sections);
    },
  );

  it('accepts a plan with no sections yet', () => {
    const { value, events } = accepted(createPlan(null, patientRecord, {}, ctxOf(patient, 'self')));
    expect(value.draft?.sections).toEqual({});
    expect(events[0]?.detail).toMatchObject({ sections: [] });
  });

  it('refuses a second plan for the same patient', () => {
    expect(refused(createPlan(states.draft(), patientRecord, {}, ctxOf(gp, 'careTeam')))).toEqual({
      kind: 'PlanStateConflict',
      reason: expect.stringContaining('already has a plan'),
    });
  });

  it.each([
    ['a patient writing cpr', patient, 'self', { cpr: { decision: 'for_cpr' } }, /cpr/],
    [
      'a carer writing treatment and review',
      carer,
      'proxyCoAuthor',
      { treatment: { ceiling: 'comfort' }, review: { date: '2027-01-01' } },
      /treatment, review sections/,
    ],
    ['another patient', stranger, 'none', {}, /only for yourself/],
    [
      'a hospice nurse new to an enrolled patient',
      hospiceNurse,
      'none',
      {},
      /only for a patient in their organisation's care team/,
    ],
    ['a consultant by break-glass', staff('consultant', 'RAL'), 'breakGlass', {}, /care team/],
    ['a care home', careHome, 'careTeam', {}, /care_home may not create/],
    ['a social worker', staff('social_worker', GP_PRACTICE), 'careTeam', {}, /social_worker may not/],
    ['a paramedic', paramedic, 'urgentCare', {}, /paramedic may not/],
    ['a call handler', callHandler, 'urgentCare', {}, /call_handler may not/],
    ['a privacy officer', staff('privacy_officer', GP_PRACTICE), 'careTeam', {}, /privacy_officer may not/],
    ['an admin', staff('admin', GP_PRACTICE), 'careTeam', {}, /admin may not/],
  ] as const)('refuses %s (403)', (_, actor, relationship, sections, reason) => {
    const refusal = refused(createPlan(null, patientRecord, sections, ctxOf(actor, relationship)));
    expect(refusal.kind).toBe('Forbidden');
    expect(refusal.reason).toMatch(reason);
  });
});

describe('editDraft', () => {
  it('replaces each given section whole and keeps the others', () => {
    const before = states.draft();
    const { value, events } = accepted(
      editDraft(
        before,
        { preferences: { preferredPlaceOfDeath: { code: 'hospice' } }, personal: { language: 'Welsh' } },
        ctxOf(patient, 'self', { now: LATER }),
      ),
    );
    expect(value.draft?.sections).toEqual({
      ...patientSections(),
      preferences: { preferredPlaceOfDeath: { code: 'hospice' } },
      personal: { language: 'Welsh' },
    });
    expect(value.revision).toBe(before.revision + 1);
    expect(value.updatedAt).toBe(LATER);
    expect(value.createdAt).toBe(NOW);
    expect(value.draft?.updatedAt).toBe(LATER);
    expect(value.draft?.updatedBy).toEqual({ id: patient.id, role: 'patient' });
    expect(value.authors).toEqual([]);
    expect(events).toEqual([
      {
        id: 'id-1',
        type: 'CarePlan.DraftUpdated',
        at: LATER,
        detail: {
          nhsNumber: NHS,
          revision: 2,
          updatedBy: { id: patient.id, role: 'patient' },
          sections: ['personal', 'preferences'],
        },
      },
    ]);
    expectNoClinicalContent(events);
  });

  it('adds a staff writer to the authors and the care team, once', () => {
    const byGp = ok(editDraft(states.draft(), { review: { date: '2027-05-20' } }, ctxOf(gp, 'careTeam')));
    expect(byGp.authors).toEqual([GP_PRACTICE]);
    expect(byGp.careTeam).toEqual([GP_PRACTICE]);
    const again = ok(editDraft(byGp, { review: { date: '2027-06-20' } }, ctxOf(gp, 'careTeam')));
    expect(again.authors).toEqual([GP_PRACTICE]);
    const byNurse = ok(editDraft(again, clinicianSections(), ctxOf(staff('nurse', CARE_HOME), 'careTeam')));
    expect(byNurse.authors).toEqual([GP_PRACTICE, CARE_HOME]);
    expect(byNurse.careTeam).toEqual([GP_PRACTICE, CARE_HOME]);
  });

  it('makes a draft from the published version when there is none, and the plan stays published', () => {
    const published = states.published();
    const plan = ok(editDraft(published, { aboutMe: { whatMattersToMe: 'my dog' } }, ctxOf(patient, 'self')));
    expect(plan.published).toEqual(published.published);
    expect(plan.draft).toEqual({
      state: 'editing',
      sections: { ...published.published?.sections, aboutMe: { whatMattersToMe: 'my dog' } },
      basedOnVersion: 1,
      updatedAt: NOW,
      updatedBy: { id: patient.id, role: 'patient' },
    });
    expect(planStatus(plan)).toBe('published');
  });

  it('edits an existing amendment rather than starting again from the published version', () => {
    const plan = ok(editDraft(states.amending(), { review: { date: '2027-01-01' } }, ctxOf(gp, 'careTeam')));
    expect(plan.draft?.sections.cpr).toEqual({ decision: 'for_cpr' });
    expect(plan.draft?.sections.review).toEqual({ date: '2027-01-01' });
  });

  it('lets the ratifier it was submitted to edit a submitted plan, which stays submitted', () => {
    const submitted = states.submitted();
    const plan = ok(editDraft(submitted, { treatment: { ceiling: 'selective' } }, ctxOf(gp, 'careTeam')));
    expect(plan.draft).toMatchObject({ state: 'submitted', submittedTo: { organisation: GP_PRACTICE } });
    expect(plan.draft?.sections.treatment).toEqual({ ceiling: 'selective' });
  });

  it('keeps the comments of a returned draft while it is edited', () => {
    const returned = ok(
      returnPlan(states.submitted(), { comments: 'add a phone number' }, ctxOf(gp, 'careTeam')),
    );
    const edited = ok(editDraft(returned, { personal: { language: 'English' } }, ctxOf(patient, 'self')));
    expect(edited.draft?.comments).toBe('add a phone number');
  });

  it.each([
    ['no plan', (): Plan | null => null, patient, 'self', { personal: {} }, 'NotFound'],
    ['no sections', states.draft, patient, 'self', {}, 'InvalidCommand'],
    ['a patient writing cpr', states.draft, patient, 'self', { cpr: { decision: 'for_cpr' } }, 'Forbidden'],
    [
      'a carer writing consent',
      states.draft,
      carer,
      'proxyCoAuthor',
      { consent: { status: 'given', date: TODAY } },
      'Forbidden',
    ],
    ['a care home', states.draft, careHome, 'careTeam', { personal: {} }, 'Forbidden'],
    ['a paramedic', states.published, paramedic, 'urgentCare', { personal: {} }, 'Forbidden'],
    [
      'a nurse outside the care team',
      states.draft,
      staff('nurse', OTHER_PRACTICE),
      'none',
      { personal: {} },
      'Forbidden',
    ],
    ['a gp by break-glass', states.draft, otherGp, 'breakGlass', { personal: {} }, 'Forbidden'],
    ['another patient', states.draft, stranger, 'none', { personal: {} }, 'Forbidden'],
    [
      'the patient, while submitted',
      states.submitted,
      patient,
      'self',
      { personal: {} },
      'PlanStateConflict',
    ],
    [
      'the carer, while submitted',
      states.submitted,
      carer,
      'proxyCoAuthor',
      { personal: {} },
      'PlanStateConflict',
    ],
    [
      'the authoring nurse, while submitted',
      states.hospiceSubmitted,
      hospiceNurse,
      'careTeam',
      { personal: {} },
      'PlanStateConflict',
    ],
    [
      "a ratifier of the authors' organisation, while submitted elsewhere",
      states.hospiceSubmitted,
      hospiceConsultant,
      'careTeam',
      { personal: {} },
      'PlanStateConflict',
    ],
    ['the GP, once withdrawn', states.withdrawn, gp, 'careTeam', { personal: {} }, 'PlanStateConflict'],
    ['the GP, once closed', states.closed, gp, 'careTeam', { personal: {} }, 'PlanStateConflict'],
  ] as const)('refuses %s', (_, plan, actor, relationship, sections, kind) => {
    expect(refused(editDraft(plan(), sections, ctxOf(actor, relationship))).kind).toBe(kind);
  });

  it('names the section a patient may not write', () => {
    expect(
      refused(editDraft(states.draft(), { cpr: { decision: 'for_cpr' } }, ctxOf(patient, 'self'))),
    ).toEqual({
      kind: 'Forbidden',
      reason: 'a patient may not write the cpr section',
    });
  });
});

describe('submitPlan', () => {
  it('submits the draft to an organisation, optionally a named clinician, and adds it to the care team', () => {
    const draft = ok(createPlan(null, enrolledByHospice, allSections(), ctxOf(hospiceNurse, 'careTeam')));
    const { value, events } = accepted(
      submitPlan(
        draft,
        { organisation: 'Y00001', clinician: 'dr.patel', note: 'please review' },
        ctxOf(hospiceNurse, 'careTeam', { now: LATER }),
      ),
    );
    const by = { id: hospiceNurse.id, role: 'nurse', organisation: HOSPICE };
    expect(value.draft).toEqual({
      ...draft.draft,
      state: 'submitted',
      submittedTo: { organisation: 'Y00001', clinician: 'dr.patel' },
      submittedAt: LATER,
      submittedBy: by,
      note: 'please review',
    });
    expect(value.careTeam).toEqual([GP_PRACTICE, HOSPICE, 'Y00001']);
    expect(value.authors).toEqual([HOSPICE]);
    expect(value.revision).toBe(draft.revision + 1);
    expect(planStatus(value)).toBe('submitted');
    expect(events).toEqual([
      {
        id: 'id-1',
        type: 'CarePlan.Submitted',
        at: LATER,
        detail: {
          nhsNumber: NHS,
          revision: 2,
          submittedBy: by,
          submittedTo: { organisation: 'Y00001', clinician: 'dr.patel' },
        },
      },
    ]);
    expectNoClinicalContent(events);
  });

  it('leaves out the clinician when none is named, and does not repeat the GP practice in the care team', () => {
    const plan = states.submitted();
    expect(plan.draft?.submittedTo).toEqual({ organisation: GP_PRACTICE });
    expect(plan.careTeam).toEqual([GP_PRACTICE]);
    expect(plan.authors).toEqual([]);
  });

  it('lets a carer submit, and drops the comments of an earlier return', () => {
    const returned = ok(
      returnPlan(states.submitted(), { comments: 'add a phone number' }, ctxOf(gp, 'careTeam')),
    );
    const again = ok(submitPlan(returned, { organisation: GP_PRACTICE }, ctxOf(carer, 'proxyCoAuthor')));
    expect(again.draft?.state).toBe('submitted');
    expect(again.draft?.comments).toBeUndefined();
    expect(again.draft?.submittedBy).toEqual({ id: carer.id, role: 'carer' });
  });

  it('submits an amendment; the plan stays published', () => {
    const plan = ok(submitPlan(states.amending(), { organisation: HOSPICE }, ctxOf(gp, 'careTeam')));
    expect(plan.draft?.state).toBe('submitted');
    expect(planStatus(plan)).toBe('published');
  });

  it.each([
    ['no plan', (): Plan | null => null, patient, 'self', 'NotFound'],
    ['a published plan without a draft', states.published, patient, 'self', 'PlanStateConflict'],
    ['a plan already submitted', states.submitted, patient, 'self', 'PlanStateConflict'],
    ['a withdrawn plan', states.withdrawn, gp, 'careTeam', 'PlanStateConflict'],
    ['a closed plan', states.closed, gp, 'careTeam', 'PlanStateConflict'],
    ['another patient', states.draft, stranger, 'none', 'Forbidden'],
    ['a care home', states.draft, careHome, 'careTeam', 'Forbidden'],
    ['a nurse outside the care team', states.draft, staff('nurse', OTHER_PRACTICE), 'none', 'Forbidden'],
    ['a paramedic', states.draft, paramedic, 'urgentCare', 'Forbidden'],
  ] as const)('refuses %s', (_, plan, actor, relationship, kind) => {
    expect(refused(submitPlan(plan(), { organisation: GP_PRACTICE }, ctxOf(actor, relationship))).kind).toBe(
      kind,
    );
  });
});

describe('ratifyPlan', () => {
  it('publishes a submitted draft as version 1 and raises Ratified with the care team', () => {
    const submitted = states.hospiceSubmitted();
    const { value, events } = accepted(ratifyPlan(submitted, {}, ctxOf(gp, 'careTeam', { now: LATER })));
    const by = { id: gp.id, role: 'gp', organisation: GP_PRACTICE };
    expect(value.published).toEqual({
      version: 1,
      sections: allSections(),
      ratifiedBy: by,
      ratifiedAt: LATER,
    });
    expect(value.published).not.toHaveProperty('note');
    expect(value.draft).toBeNull();
    expect(value.revision).toBe(submitted.revision + 1);
    expect(value.careTeam).toEqual([GP_PRACTICE, HOSPICE]);
    expect(planStatus(value)).toBe('published');
    expect(events).toEqual([
      {
        id: 'id-1',
        type: 'CarePlan.Ratified',
        at: LATER,
        detail: { nhsNumber: NHS, revision: 3, version: 1, ratifiedBy: by, careTeam: [GP_PRACTICE, HOSPICE] },
      },
      {
        id: 'id-2',
        type: 'CarePlan.Published',
        at: LATER,
        detail: {
          nhsNumber: NHS,
          revision: 3,
          version: 1,
          pointer: {
            id: `${NHS}-v1`,
            nhsNumber: NHS,
            planVersion: 1,
            type: { system: 'http://snomed.info/sct', code: '736373009', display: 'End of life care plan' },
            category: { system: 'http://snomed.info/sct', code: '734163000', display: 'Care plan' },
            custodian: 'UCP01',
            url: `https://ucp.test/patients/${NHS}/plan/fhir?version=1`,
            contentType: 'application/fhir+json',
            created: LATER,
          },
          replaces: null,
        },
      },
    ]);
    expectNoClinicalContent(events);
  });

  it('lets a GP write and publish a plan in one sitting (a draft their organisation wrote)', () => {
    const draft = ok(createPlan(null, patientRecord, allSections(), ctxOf(gp, 'careTeam')));
    const plan = ok(ratifyPlan(draft, { note: 'seen at home' }, ctxOf(gp, 'careTeam')));
    expect(plan.published).toMatchObject({ version: 1, note: 'seen at home', sections: allSections() });
  });

  it('lets another ratifier of the writing organisation ratify its draft', () => {
    const draft = ok(createPlan(null, enrolledByHospice, allSections(), ctxOf(hospiceNurse, 'careTeam')));
    expect(ok(ratifyPlan(draft, {}, ctxOf(hospiceConsultant, 'careTeam'))).published?.version).toBe(1);
  });

  it('publishes an amendment as the next version', () => {
    const amending = states.amending();
    const plan = ok(ratifyPlan(amending, {}, ctxOf(gp, 'careTeam')));
    expect(plan.published?.version).toBe(2);
    expect(plan.published?.sections).toEqual(amending.draft?.sections);
    expect(amending.published?.version).toBe(1);
  });

  it.each([
    ['no plan', (): Plan | null => null, gp, 'careTeam', 'NotFound'],
    ['a published plan without a draft', states.published, gp, 'careTeam', 'PlanStateConflict'],
    ['a withdrawn plan', () => withdrawn(states.amending()), gp, 'careTeam', 'PlanStateConflict'],
    ['a closed plan', () => closed(states.amending()), gp, 'careTeam', 'PlanStateConflict'],
    ['a nurse (contributor)', states.hospiceSubmitted, staff('nurse', GP_PRACTICE), 'careTeam', 'Forbidden'],
    ['the patient', states.submitted, patient, 'self', 'Forbidden'],
    ['a care home', states.submitted, careHome, 'careTeam', 'Forbidden'],
    ['a paramedic', states.submitted, paramedic, 'urgentCare', 'Forbidden'],
    [
      "a ratifier of the authors' organisation, when it was submitted to another",
      states.hospiceSubmitted,
      hospiceConsultant,
      'careTeam',
      'Forbidden',
    ],
    [
      'a ratifier of an organisation in the care team it was not sent to',
      submittedToHospice,
      gp,
      'careTeam',
      'Forbidden',
    ],
    ['a ratifier outside the care team', states.submitted, otherGp, 'none', 'Forbidden'],
    ['a ratifier by break-glass', states.submitted, otherGp, 'breakGlass', 'Forbidden'],
    ['the GP practice, for a draft it neither wrote nor was sent', states.draft, gp, 'careTeam', 'Forbidden'],
  ] as const)('refuses %s', (_, plan, actor, relationship, kind) => {
    expect(refused(ratifyPlan(plan(), {}, ctxOf(actor, relationship))).kind).toBe(kind);
  });

  it('says the plan was submitted elsewhere', () => {
    expect(refused(ratifyPlan(submittedToHospice(), {}, ctxOf(gp, 'careTeam'))).reason).toMatch(
      /submitted to another organisation/,
    );
  });
});

/** The patient's draft submitted to the hospice, not to their GP practice. */
function submittedToHospice(): Plan {
  return ok(submitPlan(states.draft(), { organisation: HOSPICE }, ctxOf(patient, 'self')));
}
function withdrawn(plan: Plan): Plan {
  return ok(withdrawPlan(plan, { reason: 'no longer wanted' }, ctxOf(patient, 'self')));
}
function closed(plan: Plan): Plan {
  return ok(recordDeath(plan, { date: TODAY, place: 'home' }, ctxOf(gp, 'careTeam')));
}

describe('returnPlan', () => {
  it('sends a submitted plan back to the draft with comments, forgetting the submission', () => {
    const submitted = ok(
      submitPlan(
        states.draft(),
        { organisation: GP_PRACTICE, clinician: 'dr.patel', note: 'hi' },
        ctxOf(patient, 'self'),
      ),
    );
    const { value, events } = accepted(
      returnPlan(
        submitted,
        { comments: "please add your daughter's number" },
        ctxOf(gp, 'careTeam', { now: LATER }),
      ),
    );
    const by = { id: gp.id, role: 'gp', organisation: GP_PRACTICE };
    expect(value.draft).toEqual({
      state: 'editing',
      sections: patientSections(),
      basedOnVersion: null,
      updatedAt: LATER,
      updatedBy: by,
      comments: "please add your daughter's number",
    });
    expect(planStatus(value)).toBe('draft');
    expect(value.revision).toBe(submitted.revision + 1);
    expect(events).toEqual([
      {
        id: 'id-1',
        type: 'CarePlan.Returned',
        at: LATER,
        detail: {
          nhsNumber: NHS,
          revision: 3,
          returnedBy: by,
          submittedBy: { id: patient.id, role: 'patient' },
          careTeam: [GP_PRACTICE],
        },
      },
    ]);
    expect(JSON.stringify(events)).not.toContain('daughter');
  });

  it('returns a submitted amendment; the plan stays published', () => {
    const submitted = ok(
      submitPlan(states.amending(), { organisation: GP_PRACTICE }, ctxOf(patient, 'self')),
    );
    const plan = ok(returnPlan(submitted, { comments: 'not yet' }, ctxOf(gp, 'careTeam')));
    expect(planStatus(plan)).toBe('published');
    expect(plan.draft?.state).toBe('editing');
  });

  it.each([
    ['no plan', (): Plan | null => null, gp, 'careTeam', 'NotFound'],
    ['a draft that was not submitted', states.draft, gp, 'careTeam', 'PlanStateConflict'],
    ['a published plan without a draft', states.published, gp, 'careTeam', 'PlanStateConflict'],
    ['a withdrawn plan', () => withdrawn(states.submitted()), gp, 'careTeam', 'PlanStateConflict'],
    ['a closed plan', () => closed(states.submitted()), gp, 'careTeam', 'PlanStateConflict'],
    ['a ratifier of another organisation', submittedToHospice, gp, 'careTeam', 'Forbidden'],
    [
      "a ratifier of the authors' organisation",
      states.hospiceSubmitted,
      hospiceConsultant,
      'careTeam',
      'Forbidden',
    ],
    ['a nurse', states.hospiceSubmitted, staff('nurse', GP_PRACTICE), 'careTeam', 'Forbidden'],
    ['the patient', states.submitted, patient, 'self', 'Forbidden'],
    ['a ratifier outside the care team', states.submitted, otherGp, 'none', 'Forbidden'],
  ] as const)('refuses %s', (_, plan, actor, relationship, kind) => {
    expect(refused(returnPlan(plan(), { comments: 'no' }, ctxOf(actor, relationship))).kind).toBe(kind);
  });
});

describe('the record locator pointer', () => {
  const types = (events: readonly DomainEvent[]) => events.map((e) => e.type);

  it('is retired once: a death after a withdrawal retires nothing more', () => {
    const withdrawnPlan = ok(withdrawPlan(states.published(), { reason: 'no' }, ctxOf(patient, 'self')));
    const { events } = accepted(
      recordDeath(withdrawnPlan, { date: TODAY, place: 'home' }, ctxOf(gp, 'careTeam')),
    );
    expect(types(events)).toEqual(['Patient.Died']);
  });

  it('is neither published nor retired for a plan never published', () => {
    const { events: withdrawing } = accepted(
      withdrawPlan(states.draft(), { reason: 'no' }, ctxOf(patient, 'self')),
    );
    expect(types(withdrawing)).toEqual(['CarePlan.Withdrawn']);
    const { events: dying } = accepted(
      recordDeath(states.draft(), { date: TODAY, place: 'home' }, ctxOf(gp, 'careTeam')),
    );
    expect(types(dying)).toEqual(['Patient.Died']);
  });
});

describe('withdrawPlan', () => {
  it.each([
    ['the patient', patient, 'self', { id: patient.id, role: 'patient' }],
    ['a ratifier in the care team', gp, 'careTeam', { id: gp.id, role: 'gp', organisation: GP_PRACTICE }],
  ] as const)(
    'lets %s withdraw: the plan stops being shared, its history stays',
    (_, actor, relationship, by) => {
      const published = states.published();
      const { value, events } = accepted(
        withdrawPlan(published, { reason: 'moving to Canada' }, ctxOf(actor, relationship, { now: LATER })),
      );
      expect(planStatus(value)).toBe('withdrawn');
      expect(value.withdrawal).toEqual({ reason: 'moving to Canada', by, at: LATER });
      expect(value.published).toEqual(published.published);
      expect(value.revision).toBe(published.revision + 1);
      expect(crisisSummary(value)).toBeNull();
      expect(events).toEqual([
        {
          id: 'id-1',
          type: 'CarePlan.Withdrawn',
          at: LATER,
          detail: { nhsNumber: NHS, revision: value.revision, withdrawnBy: by, careTeam: [GP_PRACTICE] },
        },
        {
          id: 'id-2',
          type: 'CarePlan.Unpublished',
          at: LATER,
          detail: {
            nhsNumber: NHS,
            revision: value.revision,
            version: 1,
            pointerId: `${NHS}-v1`,
            reason: 'withdrawn',
          },
        },
      ]);
      expect(JSON.stringify(events)).not.toContain('Canada');
      expectNoClinicalContent(events);
    },
  );

  it('withdraws a plan that was never published', () => {
    expect(planStatus(withdrawn(states.draft()))).toBe('withdrawn');
  });

  it.each([
    ['no plan', (): Plan | null => null, patient, 'self', 'NotFound'],
    ['a withdrawn plan', states.withdrawn, patient, 'self', 'PlanStateConflict'],
    ['a closed plan', states.closed, patient, 'self', 'PlanStateConflict'],
    ['a carer', states.published, carer, 'proxyCoAuthor', 'Forbidden'],
    ['a nurse', states.published, staff('nurse', GP_PRACTICE), 'careTeam', 'Forbidden'],
    ['a ratifier outside the care team', states.published, otherGp, 'none', 'Forbidden'],
    ['a paramedic', states.published, paramedic, 'urgentCare', 'Forbidden'],
    ['another patient', states.published, stranger, 'none', 'Forbidden'],
  ] as const)('refuses %s', (_, plan, actor, relationship, kind) => {
    expect(refused(withdrawPlan(plan(), { reason: 'x' }, ctxOf(actor, relationship))).kind).toBe(kind);
  });
});

describe('withdrawn and closed plans take no more changes (409)', () => {
  const changes = [
    ['editDraft', (plan: Plan) => editDraft(plan, { review: { date: TODAY } }, ctxOf(gp, 'careTeam'))],
    ['submitPlan', (plan: Plan) => submitPlan(plan, { organisation: GP_PRACTICE }, ctxOf(patient, 'self'))],
    ['ratifyPlan', (plan: Plan) => ratifyPlan(plan, {}, ctxOf(gp, 'careTeam'))],
    ['returnPlan', (plan: Plan) => returnPlan(plan, { comments: 'x' }, ctxOf(gp, 'careTeam'))],
    ['withdrawPlan', (plan: Plan) => withdrawPlan(plan, { reason: 'x' }, ctxOf(patient, 'self'))],
  ] as const;
  /** Each terminal state, reached with a submitted amendment still waiting, so every command has something to act on. */
  const terminal = [
    [
      'withdrawn',
      () =>
        withdrawn(ok(submitPlan(states.amending(), { organisation: GP_PRACTICE }, ctxOf(gp, 'careTeam')))),
    ],
    [
      'closed',
      () => closed(ok(submitPlan(states.amending(), { organisation: GP_PRACTICE }, ctxOf(gp, 'careTeam')))),
    ],
  ] as const;
  const cases = terminal.flatMap(([state, plan]) =>
    changes.map(([name, change]) => [name, state, plan, change] as const),
  );

  it.each(cases)('%s on a %s plan', (_, state, plan, change) => {
    const refusal = refused(change(plan()));
    expect(refusal.kind).toBe('PlanStateConflict');
    expect(refusal.reason).toContain(state);
  });

  it('but a death may still be recorded after withdrawal', () => {
    const plan = ok(recordDeath(states.withdrawn(), { date: TODAY, place: 'home' }, ctxOf(gp, 'careTeam')));
    expect(planStatus(plan)).toBe('closed');
    expect(plan.withdrawal).not.toBeNull();
    expect(plan.death?.diedInPreferredPlace).toBe(true);
  });
});

describe('recordDeath', () => {
  it('closes the plan, comparing the place with the published preferred place', () => {
    const published = states.published();
    const { value, events } = accepted(
      recordDeath(
        published,
        { date: '2026-11-20', place: 'home', placeText: 'in bed' },
        ctxOf(paramedic, 'urgentCare', { now: LATER }),
      ),
    );
    const by = { id: paramedic.id, role: 'paramedic', organisation: AMBULANCE };
    expect(value.death).toEqual({
      date: '2026-11-20',
      place: 'home',
      placeText: 'in bed',
      preferredPlace: 'home',
      diedInPreferredPlace: true,
      recordedBy: by,
      recordedAt: LATER,
    });
    expect(planStatus(value)).toBe('closed');
    expect(value.revision).toBe(published.revision + 1);
    expect(events).toEqual([
      {
        id: 'id-1',
        type: 'Patient.Died',
        at: LATER,
        detail: {
          nhsNumber: NHS,
          revision: value.revision,
          recordedBy: by,
          date: '2026-11-20',
          place: 'home',
          diedInPreferredPlace: true,
        },
      },
      {
        id: 'id-2',
        type: 'CarePlan.Unpublished',
        at: LATER,
        detail: {
          nhsNumber: NHS,
          revision: value.revision,
          version: 1,
          pointerId: `${NHS}-v1`,
          reason: 'died',
        },
      },
    ]);
    expect(JSON.stringify(events)).not.toContain('in bed');
    expectNoClinicalContent(events);
  });

  it('needs a reason when the place differs from the preferred one', () => {
    const refusal = refused(
      recordDeath(states.published(), { date: TODAY, place: 'hospital' }, ctxOf(gp, 'careTeam')),
    );
    expect(refusal).toEqual({
      kind: 'InvalidCommand',
      reason: expect.stringContaining('reasonIfNotPreferred'),
    });
    expect(refusal.reason).toContain('home');

    const plan = ok(
      recordDeath(
        states.published(),
        { date: TODAY, place: 'hospital', reasonIfNotPreferred: 'admitted after a fall' },
        ctxOf(gp, 'careTeam'),
      ),
    );
    expect(plan.death).toMatchObject({
      place: 'hospital',
      preferredPlace: 'home',
      diedInPreferredPlace: false,
      reasonIfNotPreferred: 'admitted after a fall',
    });
  });

  it('compares with the PUBLISHED preferred place, not the one in a waiting amendment', () => {
    const amending = states.amending();
    expect(amending.draft?.sections.preferences?.preferredPlaceOfDeath?.code).toBe('hospice');

    expect(
      refused(recordDeath(amending, { date: TODAY, place: 'hospice' }, ctxOf(gp, 'careTeam'))).kind,
    ).toBe('InvalidCommand');
    const plan = ok(recordDeath(amending, { date: TODAY, place: 'home' }, ctxOf(gp, 'careTeam')));
    expect(plan.death).toMatchObject({ preferredPlace: 'home', diedInPreferredPlace: true });
  });

  it.each([
    ['nothing is published (a preference only in the draft)', states.draft],
    ['the published plan records no preferred place', () => ratified(allSectionsBut('preferences'))],
  ])('records no comparison when %s', (_, plan) => {
    const closedPlan = ok(recordDeath(plan(), { date: TODAY, place: 'hospital' }, ctxOf(gp, 'careTeam')));
    expect(closedPlan.death).toMatchObject({ preferredPlace: null, diedInPreferredPlace: null });
  });

  it('accepts today and refuses a date after today', () => {
    expect(
      ok(recordDeath(states.published(), { date: TODAY, place: 'home' }, ctxOf(gp, 'careTeam'))).death?.date,
    ).toBe(TODAY);
    expect(
      refused(recordDeath(states.published(), { date: '2026-11-22', place: 'home' }, ctxOf(gp, 'careTeam'))),
    ).toEqual({ kind: 'InvalidCommand', reason: 'the date of death is in the future' });
  });

  it.each([
    ['a gp in the care team', gp, 'careTeam'],
    ['a consultant in the care team', staff('consultant', GP_PRACTICE), 'careTeam'],
    ['a paramedic (urgent care)', paramedic, 'urgentCare'],
    ['an ed clinician (urgent care)', edClinician, 'urgentCare'],
    ['an ed clinician in the care team', staff('ed_clinician', GP_PRACTICE), 'careTeam'],
  ] as const)('lets %s record it', (_, actor, relationship) => {
    const plan = ok(
      recordDeath(states.published(), { date: TODAY, place: 'home' }, ctxOf(actor, relationship)),
    );
    expect(planStatus(plan)).toBe('closed');
  });

  it.each([
    ['a paramedic recording a death', paramedic, 'urgentCare', AMBULANCE],
    ['an ed clinician recording a death', edClinician, 'urgentCare', EMERGENCY_DEPT],
  ] as const)(
    'records %s with their organisation on the death record',
    (_, actor, relationship, organisation) => {
      const plan = ok(
        recordDeath(states.published(), { date: TODAY, place: 'home' }, ctxOf(actor, relationship)),
      );
      expect(plan.death?.recordedBy.organisation).toBe(organisation);
    },
  );

  it.each([
    ['no plan', (): Plan | null => null, gp, 'careTeam', 'NotFound'],
    ['a second death', states.closed, gp, 'careTeam', 'PlanStateConflict'],
    ['a call handler', states.published, callHandler, 'urgentCare', 'Forbidden'],
    ['a nurse', states.published, staff('nurse', GP_PRACTICE), 'careTeam', 'Forbidden'],
    ['a care home', states.published, careHome, 'careTeam', 'Forbidden'],
    ['the patient', states.published, patient, 'self', 'Forbidden'],
    ['a carer', states.published, carer, 'proxyCoAuthor', 'Forbidden'],
    ['a gp outside the care team', states.published, otherGp, 'none', 'Forbidden'],
    ['a gp by break-glass', states.published, otherGp, 'breakGlass', 'Forbidden'],
  ] as const)('refuses %s', (_, plan, actor, relationship, kind) => {
    expect(
      refused(recordDeath(plan(), { date: TODAY, place: 'home' }, ctxOf(actor, relationship))).kind,
    ).toBe(kind);
  });
});

/** A plan published in one sitting by the GP with the given sections. */
function ratified(sections: Sections): Plan {
  const draft = ok(createPlan(null, patientRecord, sections, ctxOf(gp, 'careTeam')));
  return ok(ratifyPlan(draft, {}, ctxOf(gp, 'careTeam')));
}
function allSectionsBut(name: SectionName): Sections {
  const { [name]: _left, ...rest } = allSections();
  return rest;
}

describe('a caller with no right is refused before learning anything about the plan', () => {
  // Permission checks come before state checks: a stranger must not learn that a plan exists,
  // was withdrawn, or that the patient died.
  it('gets 403 whatever state the plan is in', () => {
    const kinds = {
      createPlanOnAnExistingPlan: refused(
        createPlan(states.published(), patientRecord, {}, ctxOf(stranger, 'none')),
      ).kind,
      editDraftOnAClosedPlan: refused(editDraft(states.closed(), { personal: {} }, ctxOf(stranger, 'none')))
        .kind,
      submitPlanOnAWithdrawnPlan: refused(
        submitPlan(states.withdrawn(), { organisation: GP_PRACTICE }, ctxOf(stranger, 'none')),
      ).kind,
      withdrawPlanOnAClosedPlanByAnOutsideAdmin: refused(
        withdrawPlan(states.closed(), { reason: 'x' }, ctxOf(staff('admin', OTHER_PRACTICE), 'none')),
      ).kind,
      recordDeathOnAClosedPlan: refused(
        recordDeath(states.closed(), { date: TODAY, place: 'home' }, ctxOf(stranger, 'none')),
      ).kind,
    };
    expect(kinds).toEqual({
      createPlanOnAnExistingPlan: 'Forbidden',
      editDraftOnAClosedPlan: 'Forbidden',
      submitPlanOnAWithdrawnPlan: 'Forbidden',
      withdrawPlanOnAClosedPlanByAnOutsideAdmin: 'Forbidden',
      recordDeathOnAClosedPlan: 'Forbidden',
    });
  });
});

describe('enrolPatient', () => {
  const profile: PatientProfile = {
    nhsNumber: NHS,
    name: { given: 'Ada', family: 'Byron' },
    birthDate: '1941-02-11',
    postcode: 'SW1A 1AA',
    gpPractice: GP_PRACTICE,
  };

  it.each([
    ['the patient', patient, 'self', [GP_PRACTICE]],
    ['a nurse new to the patient', hospiceNurse, 'none', [GP_PRACTICE, HOSPICE]],
    ['the GP', gp, 'careTeam', [GP_PRACTICE]],
    ['a consultant by break-glass', staff('consultant', 'RAL'), 'breakGlass', [GP_PRACTICE, 'RAL']],
  ] as const)(
    'lets %s enrol, raising Patient.Enrolled without demographics',
    (_, actor, relationship, careTeam) => {
      const { value, events } = accepted(enrolPatient(profile, ctxOf(actor, relationship, { now: LATER })));
      // Whoever enrols the patient joins their care team, with the GP practice.
      expect(value).toMatchObject({ profile, careTeam });
      expect(value.careTeamDetails[GP_PRACTICE]).toEqual({
        reason: 'gp_practice',
        since: LATER,
        addedBy: actorRef(actor),
      });
      for (const ods of careTeam.filter((o) => o !== GP_PRACTICE)) {
        expect(value.careTeamDetails[ods]).toEqual({
          reason: 'added',
          since: LATER,
          addedBy: actorRef(actor),
          note: 'enrolled the patient',
        });
      }
      expect(events).toEqual([
        {
          id: 'id-1',
          type: 'Patient.Enrolled',
          at: LATER,
          detail: {
            nhsNumber: NHS,
            gpPractice: GP_PRACTICE,
            enrolledBy:
              actor.kind === 'staff'
                ? { id: actor.id, role: actor.role, organisation: actor.organisation }
                : { id: actor.id, role: actor.role },
          },
        },
      ]);
      const json = JSON.stringify(events);
      for (const personal of ['Ada', 'Byron', '1941-02-11', 'SW1A']) expect(json).not.toContain(personal);
    },
  );

  it.each([
    ['another patient', stranger, 'none'],
    ['their carer (docs/api.md: patient or clinicians only)', carer, 'proxyCoAuthor'],
    ['a care home', careHome, 'careTeam'],
    ['a paramedic', paramedic, 'urgentCare'],
    ['an ed clinician', edClinician, 'urgentCare'],
    ['an admin', staff('admin', GP_PRACTICE), 'careTeam'],
    ['a privacy officer', staff('privacy_officer', GP_PRACTICE), 'careTeam'],
  ] as const)('refuses %s', (_, actor, relationship) => {
    expect(refused(enrolPatient(profile, ctxOf(actor, relationship))).kind).toBe('Forbidden');
  });
});

describe('expectRevision', () => {
  it('accepts the current revision', () => {
    expect(expectRevision(states.submitted(), 2)).toBeNull();
  });

  it.each([1, 3, 0])('refuses revision %d of a plan at revision 2, telling the current one', (ifMatch) => {
    expect(expectRevision(states.submitted(), ifMatch)).toEqual({
      kind: 'RevisionConflict',
      reason: expect.any(String),
      currentRevision: 2,
    });
  });
});

describe('planStatus', () => {
  it.each([
    ['draft', states.draft],
    ['submitted', states.submitted],
    ['draft', () => ok(returnPlan(states.submitted(), { comments: 'x' }, ctxOf(gp, 'careTeam')))],
    ['published', states.published],
    ['published', states.amending],
    [
      'published',
      () => ok(submitPlan(states.amending(), { organisation: GP_PRACTICE }, ctxOf(gp, 'careTeam'))),
    ],
    ['withdrawn', states.withdrawn],
    ['withdrawn', () => withdrawn(states.submitted())],
    ['closed', states.closed],
    ['closed', () => closed(states.withdrawn())],
    ['closed', () => closed(states.draft())],
  ] as const)('%s', (status, plan) => {
    expect(planStatus(plan())).toBe(status);
  });
});

describe('planView', () => {
  it('shows the draft only to those who may see it, and the key safe only to the patient', () => {
    const plan = states.amending();
    const hidden = planView(plan, paramedic, 'urgentCare');
    const { homeAccess: _keySafe, ...sharedPreferences } = plan.published?.sections.preferences ?? {};
    expect(hidden).toEqual({
      nhsNumber: NHS,
      status: 'published',
      revision: plan.revision,
      published: {
        ...plan.published,
        sections: { ...plan.published?.sections, preferences: sharedPreferences },
      },
      draft: null,
    });
    expect(plan.published?.sections.preferences?.homeAccess).toBeDefined();
    expect(planView(plan, patient, 'self').published).toEqual(plan.published);
    // The GP's amendment of preferences kept the patient's key safe, which staff do not see.
    expect(plan.draft?.sections.preferences?.homeAccess).toBe(
      plan.published?.sections.preferences?.homeAccess,
    );
    const { homeAccess: _draftKeySafe, ...draftPreferences } = plan.draft?.sections.preferences ?? {};
    expect(planView(plan, gp, 'careTeam').draft).toEqual({
      ...plan.draft,
      sections: { ...plan.draft?.sections, preferences: draftPreferences },
    });
    expect(planView(plan, patient, 'self').draft).toEqual(plan.draft);
    expect(PlanView.parse(hidden)).toEqual(hidden);
    expect(PlanView.safeParse(planView(plan, gp, 'careTeam')).success).toBe(true);
  });

  it('before publishing, shows nothing but the status to those who may not see the draft', () => {
    expect(planView(states.submitted(), careHome, 'careTeam')).toMatchObject({
      status: 'submitted',
      published: null,
      draft: null,
    });
  });
});

describe('crisisSummary', () => {
  it.each([
    ['a draft', states.draft],
    ['a submitted plan', states.submitted],
    ['a returned plan', () => ok(returnPlan(states.submitted(), { comments: 'x' }, ctxOf(gp, 'careTeam')))],
    ['a withdrawn plan', states.withdrawn],
    ['a plan withdrawn while an amendment waits', () => withdrawn(states.amending())],
  ])('is null for %s', (_, plan) => {
    expect(crisisSummary(plan())).toBeNull();
  });

  it('gives urgent care the published version', () => {
    const summary = crisisSummary(states.published());
    expect(summary).toEqual({
      nhsNumber: NHS,
      version: 1,
      ratifiedAt: NOW,
      cpr: clinicianSections().cpr,
      treatment: clinicianSections().treatment,
      preferredPlaceOfDeath: { code: 'home', text: 'at home with my cat' },
      anticipatoryMedicines: { prescribed: true, location: 'kitchen drawer' },
      contacts: [{ name: 'Ruth Byron', relationship: 'daughter', phone: '07700 900123' }],
      homeAccess: 'key safe by the back door, code from daughter',
    });
    expect(CrisisSummary.parse(summary)).toEqual(summary);
  });

  it('is there while an amendment waits, and reads the published version, not the draft', () => {
    for (const plan of [
      states.amending(),
      ok(submitPlan(states.amending(), { organisation: GP_PRACTICE }, ctxOf(gp, 'careTeam'))),
    ]) {
      const summary = crisisSummary(plan);
      expect(summary?.version).toBe(1);
      expect(summary?.cpr).toEqual(clinicianSections().cpr);
      expect(summary?.preferredPlaceOfDeath?.code).toBe('home');
    }
  });

  it('follows the newest version once the amendment is ratified', () => {
    const summary = crisisSummary(ok(ratifyPlan(states.amending(), {}, ctxOf(gp, 'careTeam'))));
    expect(summary).toMatchObject({
      version: 2,
      cpr: { decision: 'for_cpr' },
      preferredPlaceOfDeath: { code: 'hospice' },
    });
  });

  it('gives nulls and no contacts for sections the published version lacks', () => {
    const summary = crisisSummary(ratified({ aboutMe: { whatMattersToMe: 'tea' } }));
    expect(summary).toEqual({
      nhsNumber: NHS,
      version: 1,
      ratifiedAt: NOW,
      cpr: null,
      treatment: null,
      preferredPlaceOfDeath: null,
      anticipatoryMedicines: null,
      contacts: [],
      homeAccess: null,
    });
  });

  // A death recorded after withdrawal makes the plan 'closed'; it must still not be shared.
  it('stays null for a withdrawn plan after a death is recorded', () => {
    expect(crisisSummary(closed(states.withdrawn()))).toBeNull();
  });
});

describe('commands never change the plan they are given', () => {
  it('leaves the input untouched (inputs are deeply frozen, and compared)', () => {
    const plan = states.amending();
    const copy = structuredClone(plan);
    ok(editDraft(plan, { review: { date: TODAY } }, ctxOf(gp, 'careTeam')));
    ok(submitPlan(plan, { organisation: HOSPICE }, ctxOf(gp, 'careTeam')));
    ok(ratifyPlan(plan, {}, ctxOf(gp, 'careTeam')));
    ok(withdrawPlan(plan, { reason: 'x' }, ctxOf(patient, 'self')));
    ok(recordDeath(plan, { date: TODAY, place: 'home' }, ctxOf(gp, 'careTeam')));
    expect(plan).toEqual(copy);
  });
});

describe('rules a review tightened', () => {
  it('grows authors only for those who write content, not for return, withdrawal or a death', () => {
    const returned = ok(
      returnPlan(states.submitted(), { comments: 'add your daughter' }, ctxOf(gp, 'careTeam')),
    );
    expect(returned.authors).toEqual([]);
    const withdrawn = ok(
      withdrawPlan(states.published(), { reason: 'no longer wanted' }, ctxOf(gp, 'careTeam')),
    );
    expect(withdrawn.authors).toEqual([GP_PRACTICE]);
    const died = ok(
      recordDeath(states.published(), { date: TODAY, place: 'home' }, ctxOf(paramedic, 'urgentCare')),
    );
    expect(died.authors).not.toContain(AMBULANCE);
    expect(died.careTeam).not.toContain(AMBULANCE);
  });

  it('copies only the sections named: an explicit undefined does not clear a clinician section', () => {
    const plan = states.amending();
    const edited = ok(
      editDraft(plan, { aboutMe: { whatMattersToMe: 'my garden' }, cpr: undefined }, ctxOf(patient, 'self')),
    );
    expect(edited.draft?.sections.cpr).toEqual(plan.draft?.sections.cpr);
  });

  it('takes the date of death in UK time: 00:30 BST on 1 June is 1 June', () => {
    const plan = states.published();
    const justAfterMidnight = ctxOf(gp, 'careTeam', { now: '2026-05-31T23:30:00.000Z' });
    const recorded = recordDeath(plan, { date: '2026-06-01', place: 'home' }, justAfterMidnight);
    expect(recorded.ok).toBe(true);
    const tooEarly = recordDeath(plan, { date: '2026-06-02', place: 'home' }, justAfterMidnight);
    expect(refused(tooEarly).kind).toBe('InvalidCommand');
  });

  it('refuses to publish a draft whose consent to share is withdrawn', () => {
    const draft = ok(
      editDraft(states.submitted(), { consent: { status: 'withdrawn', date: TODAY } }, ctxOf(gp, 'careTeam')),
    );
    const refusal = refused(ratifyPlan(draft, {}, ctxOf(gp, 'careTeam')));
    expect(refusal.kind).toBe('InvalidCommand');
    expect(refusal.reason).toContain('consent');
  });

  it('shows a draft to clinicians of an author organisation, not to its other staff', () => {
    const plan = states.hospiceSubmitted();
    expect(maySeeDraft(staff('nurse', HOSPICE), 'careTeam', plan)).toBe(true);
    expect(maySeeDraft(staff('care_home', HOSPICE), 'careTeam', plan)).toBe(false);
    expect(maySeeDraft(gp, 'careTeam', plan)).toBe(true);
    expect(maySeeDraft(staff('nurse', GP_PRACTICE), 'careTeam', plan)).toBe(false);
  });
});
