import type { z } from 'zod/mini';
import { commandRelationship } from '../../domain/access.ts';
import type { PlanCommandName } from '../../domain/actions.ts';
import { actorRef } from '../../domain/actor.ts';
import type { DomainEvent } from '../../domain/events.ts';
import {
  type CommandContext,
  commandRefusal,
  createPlan,
  editDraft,
  type Outcome,
  ratifyPlan,
  recordDeath,
  returnPlan,
  submitPlan,
  versionPublishedBy,
  withdrawPlan,
} from '../../domain/lifecycle.ts';
import { relationshipOf } from '../../domain/permissions.ts';
import type { Plan } from '../../domain/plan.ts';
import { planView } from '../../domain/views.ts';
import { commandContext } from '../platform/command-context.ts';
import { planRepository } from '../platform/dynamo.ts';
import {
  type ApiRequest,
  type ApiResponse,
  authenticated,
  expectedRevision,
  httpApi,
  json,
  nhsNumberParam,
} from '../platform/http.ts';
import { idempotentCreate } from '../platform/idempotency.ts';
import { PlanRevisionConflict, PlanTooLarge } from '../platform/plan-repository.ts';
import { etag, HttpProblem, problemFromRefusal } from '../platform/problem.ts';
import { parseBody } from '../platform/validation.ts';
import {
  CreatePlanBody,
  DeathBody,
  EditPlanBody,
  RatifyBody,
  ReturnBody,
  SubmitBody,
  WithdrawBody,
} from './contract.ts';
import { onlyOwnRecord, unlessRefused } from './reads.ts';

const planResponse = (
  request: ApiRequest,
  plan: Plan,
  status: number,
  headers: Record<string, string> = {},
) => {
  const relationship = relationshipOf(request.actor, plan);
  return json(status, planView(plan, request.actor, relationship), {
    ETag: etag(plan.revision),
    ...headers,
  });
};

/** Saves revision n+1; losing the race to another writer is a 412 with the revision that won. */
const save = async (
  command: PlanCommandName,
  ctx: CommandContext,
  outcome: { value: Plan; events: DomainEvent[] },
): Promise<void> => {
  const publishedVersion = versionPublishedBy(command, outcome.value);
  try {
    await planRepository().appendRevision({
      plan: outcome.value,
      command,
      by: actorRef(ctx.actor),
      at: ctx.now,
      events: outcome.events,
      ...(publishedVersion !== undefined && { publishedVersion }),
    });
  } catch (error) {
    if (error instanceof PlanTooLarge) throw new HttpProblem(413, 'Content Too Large', error.message);
    if (!(error instanceof PlanRevisionConflict)) throw error;
    const current = await planRepository().currentPlan(outcome.value.nhsNumber);
    const currentRevision = current?.revision ?? 0;
    throw new HttpProblem(
      412,
      'Precondition Failed',
      'the plan was changed by someone else at the same time',
      { currentRevision },
      { ETag: etag(currentRevision) },
    );
  }
};

/**
 * A change to an existing plan: read the newest revision, let the domain decide, check the
 * revision the caller based it on, then the one conditional write.
 */
const planCommand = <S extends z.ZodMiniType>(
  command: PlanCommandName,
  schema: S,
  decide: (plan: Plan | null, body: z.output<S>, ctx: CommandContext) => Outcome<Plan>,
) =>
  authenticated(async (request): Promise<ApiResponse> => {
    const nhsNumber = nhsNumberParam(request);
    onlyOwnRecord(request, nhsNumber);
    const body = parseBody(schema, request.body);
    const expected = expectedRevision(request);
    const plan = await planRepository().currentPlan(nhsNumber);
    const ctx = commandContext(
      request.actor,
      commandRelationship(request.actor, nhsNumber, command, { enrolled: null, plan }),
    );
    const outcome = decide(plan, body, ctx);
    unlessRefused(commandRefusal(plan, expected, outcome));
    if (!outcome.ok) throw problemFromRefusal(outcome.refusal);
    await save(command, ctx, outcome);
    return planResponse(request, outcome.value, 200);
  });

/** POST /patients/{nhs}/plan: the first draft. */
const create = authenticated(
  idempotentCreate(async (request) => {
    const nhsNumber = nhsNumberParam(request);
    onlyOwnRecord(request, nhsNumber);
    const body = parseBody(CreatePlanBody, request.body);
    const [patient, existing] = await Promise.all([
      planRepository().getPatient(nhsNumber),
      planRepository().currentPlan(nhsNumber),
    ]);
    const ctx = commandContext(
      request.actor,
      commandRelationship(request.actor, nhsNumber, 'create', { enrolled: patient, plan: existing }),
    );
    const outcome = createPlan(
      existing,
      patient && { nhsNumber, careTeam: patient.careTeam },
      body.sections ?? {},
      ctx,
    );
    if (!outcome.ok) throw problemFromRefusal(outcome.refusal);
    try {
      await save('create', ctx, outcome);
    } catch (error) {
      // Another first draft won the race for revision 1.
      if (error instanceof HttpProblem && error.status === 412) {
        throw new HttpProblem(409, 'Conflict', 'this patient already has a plan: change it with PATCH');
      }
      throw error;
    }
    return planResponse(request, outcome.value, 201, { Location: `/patients/${nhsNumber}/plan` });
  }),
);

export const handler = httpApi('planCommands', {
  createPlan: { handler: create },
  editPlan: {
    handler: planCommand('edit', EditPlanBody, (p, b, c) => editDraft(p, b.sections, c)),
  },
  submitPlan: {
    handler: planCommand('submit', SubmitBody, submitPlan),
  },
  ratifyPlan: {
    handler: planCommand('ratify', RatifyBody, ratifyPlan),
  },
  returnPlan: {
    handler: planCommand('return', ReturnBody, returnPlan),
  },
  withdrawPlan: {
    handler: planCommand('withdraw', WithdrawBody, withdrawPlan),
  },
  recordDeath: {
    handler: planCommand('recordDeath', DeathBody, recordDeath),
  },
});
