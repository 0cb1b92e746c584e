// A namespace import, and schemas marked pure, let the bundler keep only what a function uses.
import * as z from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { OdsCode } from '../../domain/actor.ts';
import { NhsNumber } from '../../domain/nhs-number.ts';
import { Organisation, RegisteredOrganisation } from '../../domain/organisation.ts';
import { PatientProfile, PublishedVersion } from '../../domain/plan.ts';
import { CrisisSummary, PlanView } from '../../domain/views.ts';
import {
  AccessLog,
  BreakGlassReports,
  CreatePlanBody,
  DeathBody,
  EditPlanBody,
  Patient,
  Problem,
  RatifyBody,
  ReturnBody,
  SubmitBody,
  VersionList,
  WithdrawBody,
  Worklist,
} from './contract.ts';
import { type RouteSpec, routes } from './routes.ts';

type Operation = {
  summary: string;
  body?: z.ZodType;
  ok: [status: number, schema: z.ZodType];
  ifMatch?: 'required' | 'optional';
  idempotent?: boolean;
  read?: boolean;
};

const Plan = PlanView;
/** Every route's contract; a test checks this table and routes.ts name the same routes. */
export const operations: Record<string, Operation> = {
  'GET /health': { summary: 'Liveness', ok: [200, z.object({ status: z.literal('ok') })] },
  'GET /openapi.json': { summary: 'This document', ok: [200, z.object({}).loose()] },
  'POST /patients': {
    summary: 'Enrol a patient',
    body: PatientProfile,
    ok: [201, Patient],
    idempotent: true,
  },
  'GET /patients/{nhs}': { summary: 'Demographics', ok: [200, Patient], read: true },
  'POST /patients/{nhs}/plan': {
    summary: 'Create the first draft',
    body: CreatePlanBody,
    ok: [201, Plan],
    idempotent: true,
  },
  'PATCH /patients/{nhs}/plan': {
    summary: 'Merge sections into the draft',
    body: EditPlanBody,
    ok: [200, Plan],
    ifMatch: 'required',
  },
  'POST /patients/{nhs}/plan/submit': {
    summary: 'Submit for ratification',
    body: SubmitBody,
    ok: [200, Plan],
    ifMatch: 'required',
  },
  'POST /patients/{nhs}/plan/ratify': {
    summary: 'Publish the draft as the next version',
    body: RatifyBody,
    ok: [200, Plan],
    ifMatch: 'required',
  },
  'POST /patients/{nhs}/plan/return': {
    summary: 'Return to the author with comments',
    body: ReturnBody,
    ok: [200, Plan],
    ifMatch: 'required',
  },
  'POST /patients/{nhs}/plan/withdraw': {
    summary: 'Withdraw consent: stop sharing',
    body: WithdrawBody,
    ok: [200, Plan],
    ifMatch: 'required',
  },
  'POST /patients/{nhs}/death': {
    summary: 'Record a death: the plan is closed',
    body: DeathBody,
    ok: [200, Plan],
    ifMatch: 'optional',
  },
  'GET /patients/{nhs}/plan': {
    summary: 'The plan (draft only for those who may see it)',
    ok: [200, Plan],
    read: true,
  },
  'GET /patients/{nhs}/plan/versions': {
    summary: 'Published versions, newest first',
    ok: [200, VersionList],
    read: true,
  },
  'GET /patients/{nhs}/plan/versions/{n}': {
    summary: 'One published version',
    ok: [200, PublishedVersion],
    read: true,
  },
  'GET /patients/{nhs}/access-log': { summary: 'Who read or changed the plan', ok: [200, AccessLog] },
  'GET /break-glass-reports': {
    summary: "Break-glass reads by the caller's organisation (privacy officers)",
    ok: [200, BreakGlassReports],
  },
  'GET /worklist/ratifications': {
    summary: "Plans submitted to the caller's organisation",
    ok: [200, Worklist],
  },
  'GET /patients/{nhs}/plan/summary': { summary: 'The crisis summary', ok: [200, CrisisSummary], read: true },
  'PUT /organisations/{ods}': {
    summary:
      "Register an organisation's entry (201, no If-Match) or replace it whole (200, If-Match its ETag); its own admin or a service administrator",
    body: Organisation,
    ok: [200, RegisteredOrganisation],
    ifMatch: 'optional',
  },
  'GET /organisations/{ods}': {
    summary: "An organisation's registry entry, with its ETag; its own admin or a service administrator",
    ok: [200, RegisteredOrganisation],
  },
};

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: Problem } },
});

const operationFor = (route: RouteSpec): ZodOpenApiOperationObject => {
  const op = operations[`${route.method} ${route.path}`];
  if (!op) throw new Error(`no OpenAPI operation for ${route.method} ${route.path}`);
  const path = route.path.includes('{nhs}')
    ? z.object({ nhs: NhsNumber, ...(route.path.includes('{n}') && { n: z.coerce.number().int().min(1) }) })
    : route.path.includes('{ods}')
      ? z.object({ ods: OdsCode })
      : undefined;
  const header = z.object({
    ...(op.ifMatch && { 'if-match': op.ifMatch === 'required' ? z.string() : z.string().optional() }),
    ...(op.idempotent && { 'idempotency-key': z.string().optional() }),
    ...(op.read && {
      'break-glass': z
        .string()
        .min(10)
        .optional()
        .meta({ description: 'Emergency reason (staff outside the care team)' }),
    }),
  });
  const query = z.object({
    ...(op.read && { purpose: z.string().max(200).optional() }),
    ...(['VersionList', 'AccessLog', 'Worklist', 'BreakGlassReports'].includes(
      String(op.ok[1].meta()?.id),
    ) && {
      limit: z.coerce.number().int().min(1).max(200).optional(),
      next: z.string().optional(),
    }),
  });
  return {
    summary: op.summary,
    ...(route.auth && { security: [{ bearer: [] }] }),
    requestParams: { ...(path && { path }), header, query },
    ...(op.body && { requestBody: { content: { 'application/json': { schema: op.body } } } }),
    responses: {
      [op.ok[0]]: { description: op.summary, content: { 'application/json': { schema: op.ok[1] } } },
      ...(route.auth && {
        400: problem('Invalid request'),
        401: problem('No or bad token'),
        403: problem('Not allowed'),
        404: problem(
          route.path.includes('{ods}')
            ? 'No such organisation in the registry'
            : 'No such patient or plan that you may know of',
        ),
      }),
      ...(op.body && {
        409: problem('Conflicts with the plan state'),
        413: problem('Body too large'),
        415: problem('Not JSON'),
        422: problem('Cannot be done'),
      }),
      ...(op.ifMatch && { 412: problem('Stale revision'), 428: problem('If-Match missing') }),
    },
  };
};

export const openApiDocument = () => {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operationFor(route) };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Urgent Care Plan service',
      version: '1.0.0',
      description:
        'One shared urgent care plan per patient, ratified by a clinician, shared in real time with urgent care.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    paths,
  });
};
