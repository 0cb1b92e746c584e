import { type Actor, actorRef } from '../../domain/actor.ts';
import { type AccessAction, raise } from '../../domain/events.ts';
import { isSharedWith, mayRead, type Relationship, relationshipOf } from '../../domain/permissions.ts';
import { breakGlassReason } from '../platform/command-context.ts';
import { planRepository } from '../platform/dynamo.ts';
import { type ApiRequest, nhsNumberParam } from '../platform/http.ts';
import { newId } from '../platform/ids.ts';
import { badRequest, HttpProblem, problemFromRefusal } from '../platform/problem.ts';

/** A citizen asking about someone else's NHS number learns nothing, not even whether it exists. */
export const refuseOtherCitizens = (actor: Actor, nhsNumber: string): void => {
  if (actor.kind === 'citizen' && actor.nhsNumber !== nhsNumber) {
    throw new HttpProblem(403, 'Forbidden', 'you may see only your own record');
  }
};

/** Decides whether this reader may read this patient's plan, and how they stand to the patient. */
export const authoriseRead = (
  request: ApiRequest,
  nhsNumber: string,
  careTeam: readonly string[],
): Relationship => {
  const relationship = relationshipOf(request.actor, { nhsNumber, careTeam }, breakGlassReason(request));
  const refusal = mayRead(request.actor, relationship);
  if (refusal) throw problemFromRefusal(refusal);
  return relationship;
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
  request: ApiRequest,
  nhsNumber: string,
  action: AccessAction,
  relationship: Relationship,
): Promise<void> => {
  const at = new Date().toISOString();
  const id = newId();
  const reader = actorRef(request.actor);
  const purpose = purposeOf(request);
  const breakGlass = relationship === 'breakGlass';
  const event = raise(
    'CarePlan.Accessed',
    { nhsNumber, accessId: id, reader, action, purpose, breakGlass },
    { now: at, newId },
  );
  await planRepository().recordAccess({
    nhsNumber,
    id,
    at,
    actor: reader,
    action,
    purpose,
    breakGlass,
    ...(breakGlass && { breakGlassReason: breakGlassReason(request) }),
    events: [event],
  });
};

/**
 * Loads the newest revision and decides this reader may see the plan; the caller writes the
 * access record next. When there is no plan, those who may not read this patient's record get
 * the same 403 they would get if there were one: whether a patient is enrolled, or has a plan, is
 * told only to those who may know.
 */
export const readablePlan = async (request: ApiRequest) => {
  const nhsNumber = nhsNumberParam(request);
  refuseOtherCitizens(request.actor, nhsNumber);
  const plan = await planRepository().currentPlan(nhsNumber);
  if (!plan) {
    const patient = await planRepository().getPatient(nhsNumber);
    authoriseRead(request, nhsNumber, patient?.careTeam ?? []);
    throw new HttpProblem(404, 'Not Found', 'this patient has no plan');
  }
  const relationship = authoriseRead(request, nhsNumber, plan.careTeam);
  if (!isSharedWith(request.actor, relationship, plan)) {
    throw new HttpProblem(404, 'Not Found', 'this patient has no plan shared with you');
  }
  return { nhsNumber, plan, relationship };
};
