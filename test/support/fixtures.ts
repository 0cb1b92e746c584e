import type { PlanCommandName } from '../../domain/actions.ts';
import {
  type Actor,
  actorRef,
  type CitizenActor,
  type StaffActor,
  type StaffRole,
} from '../../domain/actor.ts';
import {
  type CommandContext,
  createPlan,
  editDraft,
  joinCareTeam,
  leaveCareTeam,
  type Outcome,
  ratifyPlan,
  recordDeath,
  returnPlan,
  submitPlan,
  versionPublishedBy,
  withdrawPlan,
} from '../../domain/lifecycle.ts';
import { isValidNhsNumber } from '../../domain/nhs-number.ts';
import { relationshipOf } from '../../domain/permissions.ts';
import type { PatientProfile, Plan } from '../../domain/plan.ts';
import type { Sections } from '../../domain/sections.ts';
import type { PatientRecord, RevisionRecord } from '../../functions/platform/ports.ts';
import { testPublisher } from './publisher.ts';

/**
 * Deterministic fixtures for the integration and handler tests: actors, sections, patients and
 * whole plan histories made by the real domain rules (so every stored plan is one the service
 * could have written).
 */

/** The docs/api.md example patient. */
export const NHS = '9434765919';
export const NHS_SPACED = '943 476 5919';
export const GIVEN = 'Ada';
export const FAMILY = 'Byron';

export const GP_PRACTICE = 'A81001';
export const OTHER_PRACTICE = 'B82002';
export const HOSPICE = 'H12345';
export const AMBULANCE = 'RRU';

/** The n-th valid NHS number after `base` (a 9-digit stem); skips stems whose check digit would be 10. */
export const nhsNumber = (n: number, base = 900_000_000): string => {
  let found = -1;
  for (let stem = base; ; stem++) {
    const digits = String(stem).padStart(9, '0');
    const total = [10, 9, 8, 7, 6, 5, 4, 3, 2].reduce((sum, w, i) => sum + w * Number(digits[i]), 0);
    const check = (11 - (total % 11)) % 11;
    if (check === 10) continue;
    const candidate = `${digits}${check}`;
    if (!isValidNhsNumber(candidate)) throw new Error(`made an invalid NHS number ${candidate}`);
    found++;
    if (found === n) return candidate;
  }
};

let uniqueCounter = 0;
/** A fresh valid NHS number for each call within one test file: tests sharing a table never collide. */
export const freshNhsNumber = (): string => nhsNumber(uniqueCounter++, 912_000_000);

export const staff = (role: StaffRole, organisation: string, id = `${role}@${organisation}`): StaffActor => ({
  kind: 'staff',
  id,
  role,
  organisation,
});

export const patientActor = (nhs = NHS, id = `patient-${nhs}`): CitizenActor => ({
  kind: 'citizen',
  id,
  role: 'patient',
  nhsNumber: nhs,
  proofingLevel: 'P9',
});

export const gp = staff('gp', GP_PRACTICE);
export const hospiceNurse = staff('nurse', HOSPICE);
export const hospiceConsultant = staff('consultant', HOSPICE);
export const paramedic = staff('paramedic', AMBULANCE);

export const profile = (nhs = NHS, gpPractice = GP_PRACTICE): PatientProfile => ({
  nhsNumber: nhs,
  name: { given: GIVEN, family: FAMILY },
  birthDate: '1941-02-11',
  postcode: 'SW1A 1AA',
  gpPractice,
});

export const patientRecord = (nhs = NHS, enrolledAt = '2026-11-20T09:00:00.000Z'): PatientRecord => ({
  profile: profile(nhs),
  careTeam: [GP_PRACTICE, HOSPICE],
  enrolledAt,
});

import { allSections } from './sections.ts';

export { allSections, clinicianSections, patientSections } from './sections.ts';

/** Strings from the sections above: none may leave the service except in a plan or summary body. */
export const planStrings = [
  'at home with my cat',
  'key safe by the back door',
  'Ruth Byron',
  '07700 900123',
  'metastatic lung cancer',
  'kitchen drawer',
  'Dr A Patel',
  'dnacpr',
];

/** ISO time `seconds` after a fixed start: deterministic and strictly increasing. */
export const clock = (seconds: number, start = Date.parse('2026-11-21T10:00:00.000Z')): string =>
  new Date(start + seconds * 1000).toISOString();

/**
 * A plan's life told with the domain's own commands. Each step returns the revision record
 * the repository would append; `plan` is always the newest. Times advance a minute a step.
 */
export class PlanStory {
  readonly nhsNumber: string;
  plan: Plan | null = null;
  readonly records: RevisionRecord[] = [];
  private step = 0;
  private ids = 0;
  private readonly start: number;
  /** The care team made at enrolment: the GP practice, and the hospice that enrolled the patient. */
  private readonly enrolledCareTeam: string[];

  constructor(nhs = NHS, start = '2026-11-21T10:00:00.000Z', enrolledCareTeam = [GP_PRACTICE, HOSPICE]) {
    this.nhsNumber = nhs;
    this.start = Date.parse(start);
    this.enrolledCareTeam = enrolledCareTeam;
  }

  /** The time the next step will carry. */
  nextAt(): string {
    return new Date(this.start + (this.step + 1) * 60_000).toISOString();
  }

  private run(
    command: PlanCommandName,
    actor: Actor,
    decide: (plan: Plan | null, ctx: CommandContext) => Outcome<Plan>,
  ): RevisionRecord {
    this.step++;
    const now = new Date(this.start + this.step * 60_000).toISOString();
    const careTeam = this.plan?.careTeam ?? this.enrolledCareTeam;
    const ctx: CommandContext = {
      actor,
      relationship: relationshipOf(actor, { nhsNumber: this.nhsNumber, careTeam }),
      now,
      newId: () => `evt-${this.nhsNumber}-${++this.ids}`,
      publisher: testPublisher,
    };
    const outcome = decide(this.plan, ctx);
    if (!outcome.ok) throw new Error(`fixture ${command} refused: ${JSON.stringify(outcome.refusal)}`);
    this.plan = outcome.value;
    const publishedVersion = versionPublishedBy(command, outcome.value);
    const record: RevisionRecord = {
      plan: outcome.value,
      command,
      by: actorRef(actor),
      at: now,
      events: outcome.events,
      ...(publishedVersion !== undefined && { publishedVersion }),
    };
    this.records.push(record);
    return record;
  }

  create(actor: Actor = gp, sections: Sections = allSections()): RevisionRecord {
    return this.run('create', actor, (plan, ctx) =>
      createPlan(plan, { nhsNumber: this.nhsNumber, careTeam: this.enrolledCareTeam }, sections, ctx),
    );
  }

  edit(
    actor: Actor = gp,
    sections: Sections = { aboutMe: { whatMattersToMe: 'my garden' } },
  ): RevisionRecord {
    return this.run('edit', actor, (plan, ctx) => editDraft(plan, sections, ctx));
  }

  submit(actor: Actor = gp, organisation = GP_PRACTICE, clinician?: string): RevisionRecord {
    return this.run('submit', actor, (plan, ctx) =>
      submitPlan(plan, { organisation, ...(clinician && { clinician }) }, ctx),
    );
  }

  ratify(actor: Actor = gp): RevisionRecord {
    return this.run('ratify', actor, (plan, ctx) => ratifyPlan(plan, {}, ctx));
  }

  returnToAuthor(actor: Actor = gp, comments = 'please add a contact'): RevisionRecord {
    return this.run('return', actor, (plan, ctx) => returnPlan(plan, { comments }, ctx));
  }

  withdraw(actor: Actor = gp, reason = 'the patient withdrew consent'): RevisionRecord {
    return this.run('withdraw', actor, (plan, ctx) => withdrawPlan(plan, { reason }, ctx));
  }

  death(actor: Actor = gp, date = '2026-11-20'): RevisionRecord {
    return this.run('recordDeath', actor, (plan, ctx) => recordDeath(plan, { date, place: 'home' }, ctx));
  }

  join(actor: Actor, organisation: string, reason = 'referred'): RevisionRecord {
    return this.run('joinCareTeam', actor, (plan, ctx) =>
      joinCareTeam(plan, true, { organisation, reason }, ctx),
    );
  }

  leave(actor: Actor, organisation: string): RevisionRecord {
    return this.run('leaveCareTeam', actor, (plan, ctx) =>
      leaveCareTeam(plan, { gpPractice: GP_PRACTICE }, { organisation }, ctx),
    );
  }

  /** create, then `versions` times: edit, submit, ratify. */
  static published(nhs = NHS, versions = 1): PlanStory {
    const story = new PlanStory(nhs);
    story.create();
    for (let v = 0; v < versions; v++) {
      if (v > 0) story.edit(gp, { aboutMe: { whatMattersToMe: `version ${v + 1}` } });
      story.submit();
      story.ratify();
    }
    return story;
  }

  get current(): Plan {
    if (!this.plan) throw new Error('the story has no plan yet');
    return this.plan;
  }
}

/** The revision item exactly as the repository stores it (for mocked reads and stream images). */
export const revisionItem = ({ publishedVersion, ...rest }: RevisionRecord): Record<string, unknown> => {
  const { plan } = rest;
  const status = plan.death
    ? 'closed'
    : plan.withdrawal
      ? 'withdrawn'
      : plan.published
        ? 'published'
        : plan.draft?.state === 'submitted'
          ? 'submitted'
          : 'draft';
  return {
    pk: `PATIENT#${plan.nhsNumber}`,
    sk: `REV#${String(plan.revision).padStart(9, '0')}`,
    type: 'revision',
    revision: plan.revision,
    status,
    ...rest,
    ...(publishedVersion !== undefined && {
      versionSk: `VERSION#${String(publishedVersion).padStart(9, '0')}`,
    }),
  };
};
