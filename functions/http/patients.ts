import { readDemographics } from '../../domain/access.ts';
import { enrolPatient } from '../../domain/lifecycle.ts';
import { relationshipOf } from '../../domain/permissions.ts';
import { PatientProfile } from '../../domain/plan.ts';
import { breakGlassReason, commandContext } from '../platform/command-context.ts';
import { accessRecords, carers, lazyHandler, patients, revisions } from '../platform/composition-root.ts';
import { authenticated, httpApi, json, nhsNumberParam } from '../platform/http.ts';
import { idempotentCreate } from '../platform/idempotency.ts';
import {
  type Audit,
  type Carers,
  PatientAlreadyEnrolled,
  type PatientRecord,
  type Patients,
  type Plans,
} from '../platform/ports.ts';
import { HttpProblem, problemFromRefusal } from '../platform/problem.ts';
import { parseBody } from '../platform/validation.ts';
import { actFor, allowed, auditRead } from './reads.ts';

type PatientPorts = {
  patients: Patients;
  carers: Pick<Carers, 'grants'>;
  plans: Pick<Plans, 'current'>;
  audit: Pick<Audit, 'recordAccess'>;
};

/** POST /patients: enrol. One conditional put of the profile. */
const enrol = ({ patients }: PatientPorts) =>
  authenticated(
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
        await patients.enrol(record, outcome.events);
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
const demographics = (ports: PatientPorts) =>
  authenticated(async (request) => {
    const nhsNumber = nhsNumberParam(request);
    await actFor(ports.carers, request, nhsNumber);
    const [enrolled, plan] = await Promise.all([
      ports.patients.get(nhsNumber),
      ports.plans.current(nhsNumber),
    ]);
    // Whether the patient is enrolled is itself told only to those who may read their record.
    const { relationship, enrolled: record } = allowed(
      readDemographics(request.actor, nhsNumber, { enrolled, plan }, breakGlassReason(request)),
    );
    await auditRead(ports.audit, request, nhsNumber, 'read_demographics', relationship);
    return json(200, { ...record.profile, enrolledAt: record.enrolledAt });
  });

export const createHandler = (ports: PatientPorts) =>
  httpApi('patients', {
    enrolPatient: { handler: enrol(ports) },
    getPatient: { handler: demographics(ports) },
  });

export const handler = lazyHandler(() =>
  createHandler({ patients: patients(), plans: revisions(), carers: carers(), audit: accessRecords() }),
);
