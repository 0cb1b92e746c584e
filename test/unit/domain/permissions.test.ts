import { describe, expect, it } from 'vitest';
import type { CommandName } from '../../../domain/actions.ts';
import type { Actor, Role } from '../../../domain/actor.ts';
import { citizenRoles, roles, type staffRoles } from '../../../domain/actor.ts';
import {
  accessLogScope,
  careTeamOf,
  mayCommand,
  mayRead,
  mayReviewBreakGlass,
  maySeeDraft,
  mayWriteSections,
  type Relationship,
  relationshipOf,
} from '../../../domain/permissions.ts';
import type { Draft } from '../../../domain/plan.ts';
import { SectionName } from '../../../domain/sections.ts';
import {
  AMBULANCE,
  CARE_HOME,
  citizen,
  GP_PRACTICE,
  HOSPICE,
  NHS,
  NOW,
  OTHER_NHS,
  OTHER_PRACTICE,
  planFixture,
  staff,
} from './fixtures.ts';

const relationships: readonly Relationship[] = [
  'self',
  'proxyRead',
  'proxyCoAuthor',
  'careTeam',
  'urgentCare',
  'breakGlass',
  'none',
];
const commands: readonly CommandName[] = [
  'enrol',
  'create',
  'edit',
  'submit',
  'ratify',
  'return',
  'withdraw',
  'recordDeath',
  'joinCareTeam',
  'leaveCareTeam',
  'grantCarer',
  'revokeCarer',
];

/** An actor of any role: citizens act for NHS, staff work at the GP practice. */
const actorOf = (role: Role): Actor =>
  (citizenRoles as readonly string[]).includes(role)
    ? citizen(role as (typeof citizenRoles)[number])
    : staff(role as (typeof staffRoles)[number], GP_PRACTICE);

/**
 * docs/domain.md "Who is who" and docs/api.md's routes, written out independently of domain/permissions.ts.
 * `commands` maps each command the role may give to the relationships it needs.
 */
type Expected = {
  reads: readonly Relationship[];
  writes: 'patient' | 'all' | 'none';
  commands: Partial<Record<CommandName, readonly Relationship[]>>;
  accessLog: 'all' | 'ownOrganisation' | null;
};
const anyStaff: readonly Relationship[] = ['careTeam', 'urgentCare', 'breakGlass', 'none'];
const contributor: Expected = {
  reads: ['careTeam', 'breakGlass'],
  writes: 'all',
  commands: {
    enrol: anyStaff,
    create: ['careTeam'],
    edit: ['careTeam'],
    submit: ['careTeam'],
    joinCareTeam: ['careTeam'],
    leaveCareTeam: ['careTeam'],
  },
  accessLog: null,
};
const ratifier: Expected = {
  ...contributor,
  commands: {
    ...contributor.commands,
    ratify: ['careTeam'],
    return: ['careTeam'],
    withdraw: ['careTeam'],
    recordDeath: ['careTeam'],
    grantCarer: ['careTeam'],
    revokeCarer: ['careTeam'],
  },
};
const careTeamReader: Expected = {
  reads: ['careTeam', 'breakGlass'],
  writes: 'none',
  commands: {},
  accessLog: null,
};
const urgentCare: Expected = {
  reads: ['careTeam', 'urgentCare'],
  writes: 'none',
  commands: {},
  accessLog: null,
};
const patientCommands = { create: ['self'], edit: ['self'], submit: ['self'] } as const;

const expected: Record<Role, Expected> = {
  patient: {
    reads: ['self'],
    writes: 'patient',
    commands: {
      ...patientCommands,
      enrol: ['self'],
      withdraw: ['self'],
      leaveCareTeam: ['self'],
      grantCarer: ['self'],
      revokeCarer: ['self'],
    },
    accessLog: 'all',
  },
  // docs/domain.md "Carers": a carer acts only under the patient's grant; co-author writes and
  // submits, read only reads; neither enrols nor withdraws; either may end their own grant.
  carer: {
    reads: ['proxyRead', 'proxyCoAuthor'],
    writes: 'patient',
    commands: {
      create: ['proxyCoAuthor'],
      edit: ['proxyCoAuthor'],
      submit: ['proxyCoAuthor'],
      revokeCarer: ['proxyRead', 'proxyCoAuthor'],
    },
    accessLog: 'all',
  },
  gp: ratifier,
  consultant: ratifier,
  specialist_nurse: ratifier,
  nurse: contributor,
  hospice_clinician: contributor,
  care_home: careTeamReader,
  social_worker: careTeamReader,
  paramedic: { ...urgentCare, commands: { recordDeath: ['careTeam', 'urgentCare'] } },
  call_handler: urgentCare,
  ed_clinician: { ...urgentCare, commands: { recordDeath: ['careTeam', 'urgentCare'] } },
  privacy_officer: { reads: [], writes: 'none', commands: {}, accessLog: 'ownOrganisation' },
  admin: { reads: [], writes: 'none', commands: {}, accessLog: null },
};

const patientSectionNames = ['personal', 'contacts', 'aboutMe', 'preferences', 'legal'];
const clinicianOnlySections = ['clinical', 'cpr', 'treatment', 'consent', 'review'];

const roleByRelationship = roles.flatMap((role) =>
  relationships.map((relationship) => [role, relationship] as const),
);

it('the expectation table covers every role', () => {
  expect(Object.keys(expected).sort()).toEqual([...roles].sort());
  expect(roles).toHaveLength(14);
});

describe('mayRead: every role under every relationship', () => {
  it.each(roleByRelationship)('%s, %s', (role, relationship) => {
    const refusal = mayRead(actorOf(role), relationship);
    if (expected[role].reads.includes(relationship)) {
      expect(refusal).toBeNull();
    } else {
      expect(refusal).toEqual({ kind: 'Forbidden', reason: expect.any(String) });
    }
  });

  it('tells a citizen they may read only their own plan', () => {
    expect(mayRead(citizen('patient', OTHER_NHS), 'none')).toEqual({
      kind: 'Forbidden',
      reason: 'you may read only your own plan',
    });
  });

  it('points staff outside the care team at break-glass', () => {
    expect(mayRead(staff('nurse', OTHER_PRACTICE), 'none')?.reason).toMatch(/break-glass/);
  });
});

describe('mayCommand: every role, command and relationship', () => {
  const cases = roles.flatMap((role) => commands.map((command) => [role, command] as const));

  it.each(cases)('%s, %s', (role, command) => {
    const allowed = expected[role].commands[command] ?? [];
    for (const relationship of relationships) {
      const refusal = mayCommand(actorOf(role), command, relationship);
      if (allowed.includes(relationship)) {
        expect(refusal, `${role} ${command} as ${relationship}`).toBeNull();
      } else {
        expect(refusal, `${role} ${command} as ${relationship}`).toEqual({
          kind: 'Forbidden',
          reason: expect.any(String),
        });
      }
    }
  });

  it('explains a command the role never has', () => {
    expect(mayCommand(staff('care_home', CARE_HOME), 'edit', 'careTeam')?.reason).toBe(
      'a care_home may not edit a plan',
    );
    expect(mayCommand(citizen('carer'), 'withdraw', 'proxyCoAuthor')?.reason).toBe(
      'a carer may not withdraw a plan',
    );
    expect(mayCommand(citizen('carer'), 'edit', 'proxyRead')?.reason).toBe(
      'your grant does not let you edit a plan',
    );
    expect(mayCommand(staff('nurse', HOSPICE), 'ratify', 'careTeam')?.reason).toBe(
      'a nurse may not ratify a plan',
    );
    expect(mayCommand(staff('call_handler', AMBULANCE), 'recordDeath', 'urgentCare')?.reason).toBe(
      'a call_handler may not record a death',
    );
  });

  it('explains a command given for the wrong patient', () => {
    expect(mayCommand(citizen('patient', OTHER_NHS), 'edit', 'none')?.reason).toBe(
      'you may edit a plan only for yourself',
    );
    expect(mayCommand(staff('gp', OTHER_PRACTICE), 'ratify', 'breakGlass')?.reason).toBe(
      "a gp may ratify a plan only for a patient in their organisation's care team",
    );
  });
});

describe('mayWriteSections: every role and section', () => {
  const cases = roles.flatMap((role) => SectionName.options.map((section) => [role, section] as const));

  it.each(cases)('%s writing %s', (role, section) => {
    const writes = expected[role].writes;
    const allowed = writes === 'all' || (writes === 'patient' && patientSectionNames.includes(section));
    const refusal = mayWriteSections(actorOf(role), [section]);
    if (allowed) {
      expect(refusal).toBeNull();
    } else {
      expect(refusal).toEqual({
        kind: 'Forbidden',
        reason: `a ${role} may not write the ${section} section`,
      });
    }
  });

  it.each(['patient', 'carer'] as const)(
    'a %s is told every clinician-only section they tried to write',
    (role) => {
      const refusal = mayWriteSections(citizen(role), ['aboutMe', 'cpr', 'preferences', 'treatment']);
      expect(refusal).toEqual({
        kind: 'Forbidden',
        reason: `a ${role} may not write the cpr, treatment sections`,
      });
      expect(refusal?.reason).not.toMatch(/aboutMe|preferences/);
    },
  );

  it.each(clinicianOnlySections)('a patient writing %s alone gets 403 naming it', (section) => {
    const refusal = mayWriteSections(citizen('patient'), [section as SectionName]);
    expect(refusal?.kind).toBe('Forbidden');
    expect(refusal?.reason).toContain(section);
  });

  it('nobody is refused for writing no sections', () => {
    for (const role of roles) expect(mayWriteSections(actorOf(role), [])).toBeNull();
  });

  it('clinicians may write every section at once', () => {
    for (const role of ['gp', 'consultant', 'specialist_nurse', 'nurse', 'hospice_clinician'] as const) {
      expect(mayWriteSections(staff(role, HOSPICE), SectionName.options)).toBeNull();
    }
  });
});

describe('maySeeDraft', () => {
  const SUBMITTED_TO = 'Y00001';
  /** Written by the hospice, submitted to another organisation; the GP practice and a care home are in the care team. */
  const editingDraft: Draft = {
    state: 'editing',
    sections: {},
    basedOnVersion: null,
    updatedAt: NOW,
    updatedBy: { id: 'n', role: 'nurse', organisation: HOSPICE },
  };
  const plan = planFixture({
    authors: [HOSPICE],
    careTeam: [GP_PRACTICE, HOSPICE, CARE_HOME, SUBMITTED_TO],
    draft: {
      ...editingDraft,
      state: 'submitted',
      submittedTo: { organisation: SUBMITTED_TO },
      submittedAt: NOW,
    },
  });

  it.each([
    ['the patient', citizen('patient'), 'self', true],
    ['their carer', citizen('carer'), 'proxyRead', true],
    ['another patient', citizen('patient', OTHER_NHS), 'none', false],
    ["a nurse of the authors' organisation", staff('nurse', HOSPICE), 'careTeam', true],
    ["a consultant of the authors' organisation", staff('consultant', HOSPICE), 'careTeam', true],
    ['a gp of the organisation it was submitted to', staff('gp', SUBMITTED_TO), 'careTeam', true],
    [
      'a gp of the GP practice, which neither wrote it nor was sent it',
      staff('gp', GP_PRACTICE),
      'careTeam',
      false,
    ],
    ['a care home in the care team', staff('care_home', CARE_HOME), 'careTeam', false],
    ['a paramedic (urgent care)', staff('paramedic', AMBULANCE), 'urgentCare', false],
    ['an ed_clinician (urgent care)', staff('ed_clinician', 'RYJ'), 'urgentCare', false],
    ['a gp using break-glass', staff('gp', OTHER_PRACTICE), 'breakGlass', false],
  ] as const)('%s: %s', (_, actor, relationship, sees) => {
    expect(maySeeDraft(actor, relationship, plan)).toBe(sees);
  });

  it('the organisation it was sent to no longer sees it as such once there is no submission', () => {
    const editing = planFixture({ ...plan, draft: editingDraft });
    expect(maySeeDraft(staff('gp', SUBMITTED_TO), 'careTeam', editing)).toBe(false);
    expect(maySeeDraft(staff('nurse', HOSPICE), 'careTeam', editing)).toBe(true);
  });
});

describe('accessLogScope: every role under every relationship', () => {
  it.each(roleByRelationship)('%s, %s', (role, relationship) => {
    const scope = expected[role].accessLog;
    const forThePatient = ['self', 'proxyRead', 'proxyCoAuthor'].includes(relationship);
    const want = scope === 'all' ? (forThePatient ? 'all' : null) : scope;
    expect(accessLogScope(actorOf(role), relationship)).toBe(want);
  });
});

describe('relationshipOf', () => {
  const patientRecord = { nhsNumber: NHS, careTeam: [GP_PRACTICE, HOSPICE] };
  const proxy = (access: 'read' | 'co-author', forNhs = NHS): Actor => ({
    ...citizen('carer', OTHER_NHS),
    proxy: { nhsNumber: forNhs, grantId: '1', access },
  });

  it.each([
    ['the patient, own NHS number', citizen('patient'), undefined, 'self'],
    ['a carer with a co-author grant', proxy('co-author'), undefined, 'proxyCoAuthor'],
    ['a carer with a read grant', proxy('read'), undefined, 'proxyRead'],
    ['a carer without a grant', citizen('carer', OTHER_NHS), undefined, 'none'],
    ['a carer whose own NHS number it is, without a grant', citizen('carer'), undefined, 'none'],
    ["a carer with another patient's grant", proxy('co-author', OTHER_NHS), undefined, 'none'],
    ['a patient, another NHS number', citizen('patient', OTHER_NHS), undefined, 'none'],
    ['a citizen never breaks glass', citizen('patient', OTHER_NHS), 'an emergency, honestly', 'none'],
    ['a gp of the GP practice', staff('gp', GP_PRACTICE), undefined, 'careTeam'],
    ['a nurse of the hospice', staff('nurse', HOSPICE), undefined, 'careTeam'],
    ['a paramedic whose trust is in the care team', staff('paramedic', HOSPICE), undefined, 'careTeam'],
    ['a paramedic outside the care team', staff('paramedic', AMBULANCE), undefined, 'urgentCare'],
    ['a call handler outside the care team', staff('call_handler', AMBULANCE), undefined, 'urgentCare'],
    [
      'an ed clinician outside, with a reason',
      staff('ed_clinician', 'RYJ'),
      'collapsed in A&E',
      'urgentCare',
    ],
    ['a gp outside, without a reason', staff('gp', OTHER_PRACTICE), undefined, 'none'],
    ['a gp outside, with an empty reason', staff('gp', OTHER_PRACTICE), '', 'none'],
    [
      'a gp outside, with a reason',
      staff('gp', OTHER_PRACTICE),
      'patient collapsed at surgery',
      'breakGlass',
    ],
    [
      'a care home outside, with a reason',
      staff('care_home', CARE_HOME),
      'new resident, unconscious',
      'breakGlass',
    ],
    ['a privacy officer outside', staff('privacy_officer', OTHER_PRACTICE), undefined, 'none'],
    ['an admin of the GP practice', staff('admin', GP_PRACTICE), undefined, 'careTeam'],
  ] as const)('%s: %s', (_, actor, reason, relationship) => {
    expect(relationshipOf(actor, patientRecord, reason)).toBe(relationship);
  });

  it('a staff member in the care team does not break glass even with a reason', () => {
    expect(relationshipOf(staff('gp', GP_PRACTICE), patientRecord, 'just in case')).toBe('careTeam');
  });
});

describe('careTeamOf', () => {
  it('is the one made at enrolment before any plan exists', () => {
    expect(careTeamOf({ careTeam: [GP_PRACTICE, HOSPICE] }, null)).toEqual([GP_PRACTICE, HOSPICE]);
  });

  it("is the plan's care team once there is one", () => {
    expect(
      careTeamOf({ careTeam: [GP_PRACTICE] }, planFixture({ careTeam: [GP_PRACTICE, HOSPICE] })),
    ).toEqual([GP_PRACTICE, HOSPICE]);
  });
});

describe('mayReviewBreakGlass', () => {
  it.each(roles)('is for privacy officers alone: %s', (role) => {
    const actor = role === 'patient' || role === 'carer' ? citizen(role) : staff(role, GP_PRACTICE);
    expect(mayReviewBreakGlass(actor)).toBe(role === 'privacy_officer');
  });
});
