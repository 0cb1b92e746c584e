import { commandRelationship, readCareTeam, readPatientsOf } from '../../domain/access.ts';
import { onBehalfOf } from '../../domain/actor.ts';
import {
  CarerGrantRequest,
  carerGrantView,
  grantCarer,
  readCarers,
  revokeCarer,
} from '../../domain/carers.ts';
import {
  type CareTeamChange,
  type CommandContext,
  joinCareTeam,
  leaveCareTeam,
  type Outcome,
} from '../../domain/lifecycle.ts';
import { careTeamOf, relationshipOf } from '../../domain/permissions.ts';
import type { Plan } from '../../domain/plan.ts';
import { careTeamMembers } from '../../domain/views.ts';
import { commandContext } from '../platform/command-context.ts';
import {
  type ApiRequest,
  type ApiResponse,
  authenticated,
  json,
  nhsNumberParam,
  odsParam,
  pageParams,
} from '../platform/http.ts';
import {
  CarerGrantConflict,
  type Carers,
  GrantAlreadyRevoked,
  type PatientRecord,
  type Patients,
  PlanRevisionConflict,
  type Plans,
  type Worklists,
} from '../platform/ports.ts';
import { badRequest, etag, HttpProblem, problemFromRefusal } from '../platform/problem.ts';
import { parseBody } from '../platform/validation.ts';
import { appendRevision } from './append-revision.ts';
import { JoinCareTeamBody, LeaveCareTeamBody, RevokeCarerBody } from './contract.ts';
import { actFor, allowed, auditRead, paged } from './reads.ts';

/**
 * The care network (docs/domain.md "Carers" and "The care team"): the carers who act for a
 * patient by the patient's grant, the organisations of the care team, and each organisation's
 * patients. Every rule is the domain's; these handlers read, let it decide and make one write.
 */

/** A write that lost a race is tried again on what won, this many times in all. */
const attempts = 5;

type CareNetworkPorts = {
  plans: Pick<Plans, 'current' | 'append'>;
  patients: Pick<Patients, 'get'>;
  carers: Carers;
};

const grantIdParam = (request: ApiRequest): string => {
  const id = request.params.grantId ?? '';
  if (!/^[1-9]\d{0,8}$/.test(id))
    throw badRequest('the grant id in the path is not valid', [
      { path: 'grantId', message: 'must be a grant number: 1, 2, 3 ...' },
    ]);
  return id;
};

/** How the actor stands to the patient, by the care team as it is now (the plan's, else the enrolment's). */
const standing = (
  request: ApiRequest,
  nhsNumber: string,
  enrolled: PatientRecord | null,
  plan: Plan | null,
) =>
  relationshipOf(request.actor, {
    nhsNumber,
    careTeam: careTeamOf(enrolled ?? { careTeam: [] }, plan),
  });

/** POST /patients/{nhs}/carers: one conditional put of the next grant number, tried again if another took it. */
const grant = (ports: CareNetworkPorts) =>
  authenticated(async (request) => {
    const nhsNumber = nhsNumberParam(request);
    await actFor(ports.carers, request, nhsNumber);
    const body = parseBody(CarerGrantRequest, request.body);
    for (let attempt = 1; ; attempt += 1) {
      const [enrolled, plan, grants] = await Promise.all([
        ports.patients.get(nhsNumber),
        ports.plans.current(nhsNumber),
        ports.carers.grants(nhsNumber),
      ]);
      const ctx = commandContext(request.actor, standing(request, nhsNumber, enrolled, plan));
      const outcome = grantCarer(nhsNumber, enrolled !== null, grants, body, ctx);
      if (!outcome.ok) throw problemFromRefusal(outcome.refusal);
      try {
        await ports.carers.grant(outcome.value, outcome.events);
      } catch (error) {
        if (!(error instanceof CarerGrantConflict)) throw error;
        if (attempt < attempts) continue;
        throw new HttpProblem(409, 'Conflict', 'other grants were being made at the same time: try again');
      }
      return json(201, carerGrantView({ grant: outcome.value, revocation: null }, ctx.now), {
        Location: `/patients/${nhsNumber}/carers/${outcome.value.id}`,
      });
    }
  });

/** DELETE /patients/{nhs}/carers/{grantId}: one conditional put of the revocation; of two, one wins. */
const revoke = (ports: CareNetworkPorts) =>
  authenticated(async (request) => {
    const nhsNumber = nhsNumberParam(request);
    await actFor(ports.carers, request, nhsNumber);
    const grantId = grantIdParam(request);
    const { reason } = parseBody(RevokeCarerBody, request.body);
    const [enrolled, plan, grants] = await Promise.all([
      ports.patients.get(nhsNumber),
      ports.plans.current(nhsNumber),
      ports.carers.grants(nhsNumber),
    ]);
    const record = grants.find(({ grant }) => grant.id === grantId) ?? null;
    const ctx = commandContext(request.actor, standing(request, nhsNumber, enrolled, plan));
    const outcome = revokeCarer(record, reason, ctx);
    if (!outcome.ok) throw problemFromRefusal(outcome.refusal);
    try {
      await ports.carers.revoke(nhsNumber, outcome.value.revocation, outcome.events, onBehalfOf(ctx.actor));
    } catch (error) {
      if (error instanceof GrantAlreadyRevoked)
        throw new HttpProblem(409, 'Conflict', 'this grant is already revoked');
      throw error;
    }
    return json(200, carerGrantView(outcome.value, ctx.now));
  });

const careTeamResponse = (status: number, plan: Plan, enrolled: PatientRecord | null): ApiResponse =>
  json(status, { items: careTeamMembers(plan, enrolled) }, { ETag: etag(plan.revision) });

/**
 * PUT and DELETE /patients/{nhs}/care-team/{ods}: a plan command without If-Match. Adding or
 * removing one organisation commutes with any other change, so when another revision wins the
 * race the command is decided again on it and written as the next one: nothing is lost.
 */
const careTeamChange = (
  ports: CareNetworkPorts,
  command: 'joinCareTeam' | 'leaveCareTeam',
  reasonOf: (body: unknown) => string | undefined,
  decide: (
    plan: Plan | null,
    enrolled: PatientRecord | null,
    change: CareTeamChange,
    ctx: CommandContext,
  ) => Outcome<Plan>,
) =>
  authenticated(async (request) => {
    const nhsNumber = nhsNumberParam(request);
    await actFor(ports.carers, request, nhsNumber);
    const organisation = odsParam(request);
    const reason = reasonOf(request.body);
    for (let attempt = 1; ; attempt += 1) {
      const [enrolled, plan] = await Promise.all([
        ports.patients.get(nhsNumber),
        ports.plans.current(nhsNumber),
      ]);
      const ctx = commandContext(
        request.actor,
        commandRelationship(request.actor, nhsNumber, command, { enrolled, plan }),
      );
      const outcome = decide(plan, enrolled, { organisation, ...(reason && { reason }) }, ctx);
      if (!outcome.ok) throw problemFromRefusal(outcome.refusal);
      if (outcome.events.length === 0) return careTeamResponse(200, outcome.value, enrolled);
      try {
        await appendRevision(ports, command, ctx, outcome);
      } catch (error) {
        if (!(error instanceof PlanRevisionConflict)) throw error;
        if (attempt < attempts) continue;
        throw new HttpProblem(
          409,
          'Conflict',
          'the plan was being changed by others at the same time: try again',
        );
      }
      return careTeamResponse(command === 'joinCareTeam' ? 201 : 200, outcome.value, enrolled);
    }
  });

/** The routes of the plan-commands function that keep the care network. */
export const careNetworkCommands = (ports: CareNetworkPorts) => ({
  grantCarer: { handler: grant(ports) },
  revokeCarer: { handler: revoke(ports) },
  addToCareTeam: {
    handler: careTeamChange(
      ports,
      'joinCareTeam',
      (body) => parseBody(JoinCareTeamBody, body).reason,
      (plan, enrolled, change, ctx) => joinCareTeam(plan, enrolled !== null, change, ctx),
    ),
  },
  removeFromCareTeam: {
    handler: careTeamChange(
      ports,
      'leaveCareTeam',
      (body) => parseBody(LeaveCareTeamBody, body).reason,
      (plan, enrolled, change, ctx) =>
        leaveCareTeam(plan, enrolled && { gpPractice: enrolled.profile.gpPractice }, change, ctx),
    ),
  },
});

type CareNetworkReadPorts = {
  plans: Pick<Plans, 'current'>;
  patients: Pick<Patients, 'get'>;
  carers: Pick<Carers, 'grants'>;
  audit: Parameters<typeof auditRead>[0];
  worklists: Pick<Worklists, 'patientsOf'>;
};

/** The routes of the plan-reads function that read the care network. */
export const careNetworkReads = (ports: CareNetworkReadPorts) => ({
  listCarers: {
    handler: authenticated(async (request) => {
      const nhsNumber = nhsNumberParam(request);
      await actFor(ports.carers, request, nhsNumber);
      const [enrolled, plan, grants] = await Promise.all([
        ports.patients.get(nhsNumber),
        ports.plans.current(nhsNumber),
        ports.carers.grants(nhsNumber),
      ]);
      const relationship = standing(request, nhsNumber, enrolled, plan);
      const shown = allowed(readCarers(request.actor, relationship, grants));
      if (!enrolled) throw new HttpProblem(404, 'Not Found', 'no patient with this NHS number is enrolled');
      await auditRead(ports.audit, request, nhsNumber, 'read_carers', relationship);
      const now = new Date().toISOString();
      return json(200, { items: shown.map((record) => carerGrantView(record, now)) });
    }),
  },
  getCareTeam: {
    handler: authenticated(async (request) => {
      const nhsNumber = nhsNumberParam(request);
      await actFor(ports.carers, request, nhsNumber);
      const [enrolled, plan] = await Promise.all([
        ports.patients.get(nhsNumber),
        ports.plans.current(nhsNumber),
      ]);
      const relationship = allowed(readCareTeam(request.actor, nhsNumber, { enrolled, plan }));
      await auditRead(ports.audit, request, nhsNumber, 'read_care_team', relationship);
      return json(200, { items: careTeamMembers(plan, enrolled) });
    }),
  },
  listOrganisationPatients: {
    handler: authenticated(async (request) => {
      const { organisation } = allowed(readPatientsOf(request.actor, odsParam(request)));
      const page = pageParams(request);
      return json(200, await paged(() => ports.worklists.patientsOf(organisation, page)));
    }),
  },
});
