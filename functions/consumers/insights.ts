import type { DomainEvent } from '../../domain/events.ts';
import { outcomeChanges } from '../../domain/outcomes.ts';
import type { Plan } from '../../domain/plan.ts';
import { logger } from '../platform/logger.ts';
import type { Outcomes, PatientIndex, PatientRecord, Patients, Reviews } from '../platform/ports.ts';

/** What the projections keep besides the worklists: search keys, reviews due, outcome counters. */
export type InsightPorts = {
  patients: Pick<Patients, 'get'>;
  patientIndex: Pick<PatientIndex, 'index'>;
  reviews: Pick<Reviews, 'project'>;
  outcomes: Pick<Outcomes, 'count'>;
};

/** A new enrolment: the patient can be found by search. */
export const projectEnrolledPatient = (ports: InsightPorts, record: PatientRecord): Promise<void> =>
  ports.patientIndex.index(record);

/**
 * A new revision: its reviews due, and its outcome counters (each change counted once for its event,
 * in the patient's GP practice). Idempotent, so a redelivered or replayed revision changes nothing.
 */
export const projectRevisionInsights = async (
  ports: InsightPorts,
  revision: { plan: Plan; previous: Plan | null; events: DomainEvent[]; at: string },
): Promise<void> => {
  const { plan, previous, events, at } = revision;
  await ports.reviews.project(plan, previous, at);
  const changes = outcomeChanges(previous, plan, events, at);
  if (changes.length === 0) return;
  const patient = await ports.patients.get(plan.nhsNumber);
  if (!patient) {
    // Cannot happen (a plan needs an enrolment). Not thrown: retrying would hold up every later
    // record of the shard for nothing; `npm run rebuild-projections` counts it once the profile is there.
    logger.error('outcome counters skipped: a revision of a patient with no profile', {
      changes: changes.length,
    });
    return;
  }
  const outcomes = await Promise.all(
    changes.map((change) => ports.outcomes.count({ ...change, organisation: patient.profile.gpPractice })),
  );
  logger.debug('outcome counters', {
    counted: outcomes.filter((o) => o === 'counted').length,
    alreadyCounted: outcomes.filter((o) => o === 'alreadyCounted').length,
  });
};
