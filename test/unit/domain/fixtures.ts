import type { CitizenActor, CitizenRole, StaffActor, StaffRole } from '../../../domain/actor.ts';
import type { DomainEvent } from '../../../domain/events.ts';
import type { CommandContext, Outcome } from '../../../domain/lifecycle.ts';
import type { Relationship } from '../../../domain/permissions.ts';
import type { Plan } from '../../../domain/plan.ts';
import type { Refusal } from '../../../domain/refusals.ts';
import { testPublisher } from '../../support/publisher.ts';

/** Shared, deterministic fixtures for the domain unit tests. */
export const NHS = '9434765919';
export const OTHER_NHS = '9990000018';

/** The patient's GP practice (in the care team from the start). */
export const GP_PRACTICE = 'A81001';
/** Another GP practice, outside the care team. */
export const OTHER_PRACTICE = 'B82002';
/** A hospice whose staff may write the plan. */
export const HOSPICE = 'H12345';
/** An ambulance trust and an A&E department: urgent care, outside the care team. */
export const AMBULANCE = 'RRU';
export const EMERGENCY_DEPT = 'RYJ';
/** A care home in the care team. */
export const CARE_HOME = 'VM123';

export const NOW = '2026-11-21T10:00:00.000Z';
export const TODAY = '2026-11-21';
export const LATER = '2026-12-01T08:30:00.000Z';

export const staff = (role: StaffRole, organisation: string, id = `${role}@${organisation}`): StaffActor => ({
  kind: 'staff',
  id,
  role,
  organisation,
});

export const citizen = (role: CitizenRole, nhsNumber = NHS, id = `${role}-${nhsNumber}`): CitizenActor => ({
  kind: 'citizen',
  id,
  role,
  nhsNumber,
  proofingLevel: 'P9',
});

/** A carer's own NHS number: a carer signs in as themselves. */
export const CARER_NHS = '9990000042';
export const patient = citizen('patient');
/** A carer acting for the patient under an active co-author grant (domain/carers.ts `actingFor`). */
export const carer: CitizenActor = {
  ...citizen('carer', CARER_NHS),
  proxy: { nhsNumber: NHS, grantId: '1', access: 'co-author' },
};
export const stranger = citizen('patient', OTHER_NHS);
export const gp = staff('gp', GP_PRACTICE);
export const otherGp = staff('gp', OTHER_PRACTICE);
export const hospiceNurse = staff('nurse', HOSPICE);
export const hospiceConsultant = staff('consultant', HOSPICE);
export const careHome = staff('care_home', CARE_HOME);
export const paramedic = staff('paramedic', AMBULANCE);
export const callHandler = staff('call_handler', AMBULANCE);
export const edClinician = staff('ed_clinician', EMERGENCY_DEPT);

/** A counter of ids: 'id-1', 'id-2', ... */
export const counter = (): (() => string) => {
  let n = 0;
  return () => `id-${++n}`;
};

export const ctxOf = (
  actor: CommandContext['actor'],
  relationship: Relationship,
  options: { now?: string; newId?: () => string } = {},
): CommandContext => ({
  actor,
  relationship,
  now: options.now ?? NOW,
  newId: options.newId ?? counter(),
  publisher: testPublisher,
});

/** The value and events of an accepted command; fails the test with the refusal otherwise. */
export const accepted = <T>(outcome: Outcome<T>): { value: T; events: DomainEvent[] } => {
  if (!outcome.ok)
    throw new Error(`expected the command to be accepted, refused: ${JSON.stringify(outcome.refusal)}`);
  return outcome;
};

/** The refusal of a refused command; fails the test if it was accepted. */
export const refused = <T>(outcome: Outcome<T>): Refusal => {
  if (outcome.ok) throw new Error('expected the command to be refused, it was accepted');
  return outcome.refusal;
};

/** Freezes a value deeply, so a command that mutates its input throws (ESM is strict mode). */
export const deepFreeze = <T>(value: T): T => {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
};

export { allSections, clinicianSections, patientSections } from '../../support/sections.ts';

/** Clinical strings of the fixtures: none of them may ever appear in an event. */
export const clinicalStrings = [
  'at home with my cat',
  'key safe',
  'being at home',
  'Ruth Byron',
  '07700 900123',
  'metastatic lung cancer',
  'kitchen drawer',
  'Dr A Patel',
  'dnacpr',
  'comfort',
  '2027-05-20',
];

/** A plan as the store would hold it, built by hand for permission tests. */
export const planFixture = (change: Partial<Plan> = {}): Plan => ({
  nhsNumber: NHS,
  revision: 1,
  createdAt: NOW,
  updatedAt: NOW,
  published: null,
  draft: null,
  careTeam: [GP_PRACTICE],
  authors: [],
  withdrawal: null,
  death: null,
  ...change,
});
