import { accessRecord, type Decision, readPlan, refuseOtherCitizens } from '../../domain/access.ts';
import type { ReadAction } from '../../domain/actions.ts';
import { actingFor } from '../../domain/carers.ts';
import type { Relationship } from '../../domain/permissions.ts';
import type { Refusal } from '../../domain/refusals.ts';
import { breakGlassReason } from '../platform/command-context.ts';
import { type ApiRequest, nhsNumberParam } from '../platform/http.ts';
import { newId } from '../platform/ids.ts';
import type { Audit, Carers, Patients, Plans } from '../platform/ports.ts';
import { badRequest, problemFromRefusal } from '../platform/problem.ts';
import { InvalidCursor, type Page } from '../platform/store/cursor.ts';

/** A page of a listing; a cursor it did not issue is a 400. */
export const paged = async <T>(load: () => Promise<Page<T>>): Promise<Page<T>> => {
  try {
    return await load();
  } catch (error) {
    if (error instanceof InvalidCursor)
      throw badRequest(error.message, [{ path: 'next', message: 'invalid cursor' }]);
    throw error;
  }
};

/** What the domain allowed, or its refusal as the problem+json answer. */
export const allowed = <T>(decision: Decision<T>): T => {
  if (!decision.ok) throw problemFromRefusal(decision.refusal);
  return decision.value;
};

export const unlessRefused = (refusal: Refusal | null): void => {
  if (refusal) throw problemFromRefusal(refusal);
};

/** A citizen asking about someone else's NHS number is refused before anything else is looked at. */
export const onlyOwnRecord = (request: ApiRequest, nhsNumber: string): void =>
  unlessRefused(refuseOtherCitizens(request.actor, nhsNumber));

/**
 * Who asks, as they stand to this patient: a carer acts under the patient's active grant naming
 * them, looked up in the grants as stored on every request (so a revoked or expired grant stops
 * access at once); then a citizen asking about anyone else is refused before anything else.
 */
export const actFor = async (
  carers: Pick<Carers, 'grants'>,
  request: ApiRequest,
  nhsNumber: string,
): Promise<void> => {
  const { actor } = request;
  if (actor.kind === 'citizen' && actor.role === 'carer') {
    request.actor = actingFor(actor, nhsNumber, await carers.grants(nhsNumber), new Date().toISOString());
  }
  onlyOwnRecord(request, nhsNumber);
};

const purposeOf = (request: ApiRequest): string | null => {
  const purpose = request.query.purpose?.trim();
  if (purpose === undefined || purpose === '') return null;
  if (purpose.length > 200)
    throw badRequest('purpose is at most 200 characters', [{ path: 'purpose', message: 'too long' }]);
  return purpose;
};

/** Writes the access record before anything is returned: if it cannot be written, the read fails. */
export const auditRead = async (
  audit: Pick<Audit, 'recordAccess'>,
  request: ApiRequest,
  nhsNumber: string,
  action: ReadAction,
  relationship: Relationship,
): Promise<void> => {
  const record = accessRecord(
    {
      actor: request.actor,
      nhsNumber,
      action,
      relationship,
      purpose: purposeOf(request),
      breakGlassReason: breakGlassReason(request),
    },
    { now: new Date().toISOString(), newId },
  );
  await audit.recordAccess(record);
};

/** Loads the newest revision (and, when there is none, the enrolment) and lets the domain decide; the caller writes the access record next. */
export const readablePlan = async (
  ports: { plans: Pick<Plans, 'current'>; patients: Pick<Patients, 'get'>; carers: Pick<Carers, 'grants'> },
  request: ApiRequest,
) => {
  const nhsNumber = nhsNumberParam(request);
  await actFor(ports.carers, request, nhsNumber);
  const plan = await ports.plans.current(nhsNumber);
  const enrolled = plan ? null : await ports.patients.get(nhsNumber);
  const read = allowed(readPlan(request.actor, nhsNumber, { plan, enrolled }, breakGlassReason(request)));
  return { nhsNumber, ...read };
};
