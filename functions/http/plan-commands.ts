import type { z } from 'zod/mini';
import { commandRelationship } from '../../domain/access.ts';
import type { PlanCommandName } from '../../domain/actions.ts';
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
  withdrawPlan,
} from '../../domain/lifecycle.ts';
import { relationshipOf } from '../../domain/permissions.ts';
import type { Plan } from '../../domain/plan.ts';
import { planView } from '../../domain/views.ts';
import { commandContext } from '../platform/command-context.ts';
import { carers, lazyHandler, patients, revisions } from '../platform/composition-root.ts';
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
import { type Carers, type Patients, PlanRevisionConflict, type Plans } from '../platform/ports.ts';
import { etag, HttpProblem, lostRace, problemFromRefusal } from '../platform/problem.ts';
import { parseBody } from '../platform/validation.ts';
import { appendRevision } from './append-revision.ts';
import { careNetworkCommands } from './care-network.ts';
import {
  CreatePlanBody,
  DeathBody,
  EditPlanBody,
  RatifyBody,
  ReturnBody,
  SubmitBody,
  WithdrawBody,
} from './contract.ts';
import { actFor, unlessRefused } from './reads.ts';

export type PlanCommandPorts = {
  plans: Pick<Plans, 'current' | 'append'>;
  patients: Pick<Patients, 'get'>;
  carers: Carers;
};

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
  ports: PlanCommandPorts,
  command: PlanCommandName,
  ctx: CommandContext,
  outcome: { value: Plan; events: DomainEvent[] },
): Promise<void> => {
  const { plans } = ports;
  try {
    await appendRevision(ports, command, ctx, outcome);
  } catch (error) {
    if (!(error instanceof PlanRevisionConflict)) throw error;
    const current = await plans.current(outcome.value.nhsNumber);
    throw lostRace('the plan was changed by someone else at the same time', current?.revision ?? 0);
  }
};

/**
 * A change to an existing plan: read the newest revision, let the domain decide, check the
 * revision the caller based it on, then the one conditional write.
 */
const planCommand = <S extends z.ZodMiniType>(
  ports: PlanCommandPorts,
  command: PlanCommandName,
  schema: S,
  decide: (plan: Plan | null, body: z.output<S>, ctx: CommandContext) => Outcome<Plan>,
) =>
  authenticated(async (request): Promise<ApiResponse> => {
    const nhsNumber = nhsNumberParam(request);
    await actFor(ports.carers, request, nhsNumber);
    const body = parseBody(schema, request.body);
    const expected = expectedRevision(request);
    const plan = await ports.plans.current(nhsNumber);
    const ctx = commandContext(
      request.actor,
      commandRelationship(request.actor, nhsNumber, command, { enrolled: null, plan }),
    );
    const outcome = decide(plan, body, ctx);
    unlessRefused(commandRefusal(plan, expected, outcome));
    if (!outcome.ok) throw problemFromRefusal(outcome.refusal);
    await save(ports, command, ctx, outcome);
    return planResponse(request, outcome.value, 200);
  });

/** POST /patients/{nhs}/plan: the first draft. */
const create = (ports: PlanCommandPorts) =>
  authenticated(
    idempotentCreate(async (request) => {
      const nhsNumber = nhsNumberParam(request);
      await actFor(ports.carers, request, nhsNumber);
      const body = parseBody(CreatePlanBody, request.body);
      const [patient, existing] = await Promise.all([
        ports.patients.get(nhsNumber),
        ports.plans.current(nhsNumber),
      ]);
      const ctx = commandContext(
        request.actor,
        commandRelationship(request.actor, nhsNumber, 'create', { enrolled: patient, plan: existing }),
      );
      const outcome = createPlan(
        existing,
        patient && { nhsNumber, careTeam: patient.careTeam, careTeamDetails: patient.careTeamDetails },
        body.sections ?? {},
        ctx,
      );
      if (!outcome.ok) throw problemFromRefusal(outcome.refusal);
      try {
        await save(ports, 'create', ctx, outcome);
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

export const createHandler = (ports: PlanCommandPorts) =>
  httpApi('planCommands', {
    createPlan: { handler: create(ports) },
    editPlan: {
      handler: planCommand(ports, 'edit', EditPlanBody, (p, b, c) => editDraft(p, b.sections, c)),
    },
    submitPlan: {
      handler: planCommand(ports, 'submit', SubmitBody, submitPlan),
    },
    ratifyPlan: {
      handler: planCommand(ports, 'ratify', RatifyBody, ratifyPlan),
    },
    returnPlan: {
      handler: planCommand(ports, 'return', ReturnBody, returnPlan),
    },
    withdrawPlan: {
      handler: planCommand(ports, 'withdraw', WithdrawBody, withdrawPlan),
    },
    recordDeath: {
      handler: planCommand(ports, 'recordDeath', DeathBody, recordDeath),
    },
    ...careNetworkCommands(ports),
  });

export const handler = lazyHandler(() =>
  createHandler({ plans: revisions(), patients: patients(), carers: carers() }),
);
