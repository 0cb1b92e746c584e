import { readDemographics } from '../../domain/access.ts';
import { enrolPatient } from '../../domain/lifecycle.ts';
import { relationshipOf } from '../../domain/permissions.ts';
import { PatientProfile } from '../../domain/plan.ts';
import { breakGlassReason, commandContext } from '../platform/command-context.ts';
import { planRepository } from '../platform/dynamo.ts';
import { authenticated, httpApi, json, nhsNumberParam } from '../platform/http.ts';
import { idempotentCreate } from '../platform/idempotency.ts';
import { PatientAlreadyEnrolled, type PatientRecord } from '../platform/plan-repository.ts';
import { HttpProblem, problemFromRefusal } from '../platform/problem.ts';
import { parseBody } from '../platform/validation.ts';
import { allowed, auditRead, onlyOwnRecord } from './reads.ts';

/** POST /patients: enrol. One conditional put of the profile. */
const enrol = authenticated(
  idempotentCreate(async (request) => {
    const profile = parseBody(PatientProfile, request.body);
    const ctx = commandContext(
      request.actor,
      relationshipOf(request.actor, { nhsNumber: profile.nhsNumber, careTeam: [profile.gpPractice] }),
    );
    const outcome = enrolPatient(profile, ctx);
    if (!outcome.ok) throw problemFromRefusal(outcome.refusal);
    const record: PatientRecord = { ...outcome.value, enrolledAt: ctx.now };
    try {
      await planRepository().enrolPatient(record, outcome.events);
    } catch (error) {
      if (error instanceof PatientAlreadyEnrolled)
        throw new HttpProblem(409, 'Conflict', 'this patient is already enrolled');
      throw error;
    }
    return json(
      201,
      { ...profile, enrolledAt: record.enrolledAt },
      { Location: `/patients/${profile.nhsNumber}` },
    );
  }),
);

/** GET /patients/{nhs}: demographics, for the care team, urgent care and the patient. */
const demographics = authenticated(async (request) => {
  const nhsNumber = nhsNumberParam(request);
  onlyOwnRecord(request, nhsNumber);
  const [enrolled, plan] = await Promise.all([
    planRepository().getPatient(nhsNumber),
    planRepository().currentPlan(nhsNumber),
  ]);
  // Whether the patient is enrolled is itself told only to those who may read their record.
  const { relationship, enrolled: record } = allowed(
    readDemographics(request.actor, nhsNumber, { enrolled, plan }, breakGlassReason(request)),
  );
  await auditRead(request, nhsNumber, 'read_demographics', relationship);
  return json(200, { ...record.profile, enrolledAt: record.enrolledAt });
});

export const handler = httpApi('patients', {
  enrolPatient: { handler: enrol },
  getPatient: { handler: demographics },
});
