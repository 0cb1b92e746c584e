import {
  authoriseRead,
  notEnrolled,
  readAccessLog,
  readWorklist,
  reviewBreakGlass,
} from '../../domain/access.ts';
import { isSharedWith } from '../../domain/permissions.ts';
import type { Plan, PublishedVersion } from '../../domain/plan.ts';
import { documentPointer } from '../../domain/pointer.ts';
import { planView, publishedView } from '../../domain/views.ts';
import { system } from '../../fhir/codes.ts';
import { documentReference, searchset } from '../../fhir/document-reference.ts';
import { planDocument, type VersionStanding } from '../../fhir/plan-document.ts';
import { breakGlassReason, publisher } from '../platform/command-context.ts';
import { audit, carers, lazyHandler, patients, plans, worklistReader } from '../platform/composition-root.ts';
import { apiUrl } from '../platform/config.ts';
import {
  type ApiResponse,
  authenticated,
  httpApi,
  json,
  nhsNumberParam,
  nhsNumberQuery,
  pageParams,
} from '../platform/http.ts';
import type { Audit, Carers, Patients, Plans, Worklists } from '../platform/ports.ts';
import { badRequest, etag, HttpProblem, problemFromRefusal } from '../platform/problem.ts';
import { careNetworkReads } from './care-network.ts';
import { actFor, allowed, auditRead, paged, readablePlan } from './reads.ts';

/** FHIR's own media type: the plan document and the pointer search answer in it. */
const fhirJson = (body: unknown): ApiResponse => ({
  statusCode: 200,
  headers: { 'Content-Type': 'application/fhir+json', 'Cache-Control': 'no-store' },
  body: JSON.stringify(body),
});

const versionNumber = (raw: string | undefined, path: string): number | undefined => {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d{1,9}$/.test(raw) || n < 1)
    throw badRequest('the version must be a whole number from 1', [
      { path, message: 'not a version number' },
    ]);
  return n;
};

/** How a version stands now: the last published one is in force while the plan is shared. */
const standingOf = (plan: Plan, version: PublishedVersion): VersionStanding => {
  if (plan.death) return 'closed';
  if (plan.withdrawal) return 'withdrawn';
  return version.version === plan.published?.version ? 'current' : 'superseded';
};

export type PlanReadPorts = {
  plans: Pick<Plans, 'current' | 'version' | 'versions'>;
  patients: Pick<Patients, 'get'>;
  carers: Pick<Carers, 'grants'>;
  audit: Pick<Audit, 'recordAccess' | 'accessLog' | 'breakGlassReports'>;
  worklists: Pick<Worklists, 'awaitingRatification' | 'patientsOf'>;
};

export const createHandler = (ports: PlanReadPorts) =>
  httpApi('planReads', {
    getPlan: {
      handler: authenticated(async (request) => {
        const { nhsNumber, plan, relationship } = await readablePlan(ports, request);
        await auditRead(ports.audit, request, nhsNumber, 'read_plan', relationship);
        return json(200, planView(plan, request.actor, relationship), { ETag: etag(plan.revision) });
      }),
    },
    getPlanFhir: {
      handler: authenticated(async (request) => {
        const n = versionNumber(request.query.version, 'version');
        const { nhsNumber, plan, relationship } = await readablePlan(ports, request);
        const version =
          n === undefined || n === plan.published?.version
            ? plan.published
            : await ports.plans.version(nhsNumber, n);
        if (!version)
          throw new HttpProblem(
            404,
            'Not Found',
            n === undefined ? 'this plan has no published version' : `this plan has no version ${n}`,
          );
        const patient = await ports.patients.get(nhsNumber);
        if (!patient) throw problemFromRefusal(notEnrolled());
        await auditRead(ports.audit, request, nhsNumber, 'read_plan_fhir', relationship);
        return fhirJson(
          planDocument({
            patient: patient.profile,
            version: publishedView(version, relationship),
            standing: standingOf(plan, version),
            custodian: publisher.custodian,
          }),
        );
      }),
    },
    searchDocumentReferences: {
      handler: authenticated(async (request) => {
        const nhsNumber = nhsNumberQuery(request.query, 'subject:identifier');
        await actFor(ports.carers, request, nhsNumber);
        const plan = await ports.plans.current(nhsNumber);
        const enrolled = plan ? null : await ports.patients.get(nhsNumber);
        const relationship = allowed(
          authoriseRead(request.actor, nhsNumber, { plan, enrolled }, breakGlassReason(request)),
        );
        // A pointer while a version is shared with urgent care: none before, none once withdrawn or closed.
        const shared =
          plan?.published &&
          !plan.withdrawal &&
          !plan.death &&
          isSharedWith(request.actor, relationship, plan);
        if (plan) await auditRead(ports.audit, request, nhsNumber, 'search_pointers', relationship);
        const base = apiUrl();
        return fhirJson(
          searchset(
            `${base.replace(/\/+$/, '')}/DocumentReference?subject:identifier=${encodeURIComponent(`${system.nhsNumber}|${nhsNumber}`)}`,
            base,
            shared && plan.published
              ? [documentReference(documentPointer(nhsNumber, plan.published, publisher))]
              : [],
          ),
        );
      }),
    },
    listPlanVersions: {
      handler: authenticated(async (request) => {
        const page = pageParams(request);
        const { nhsNumber, relationship } = await readablePlan(ports, request);
        const versions = await paged(() => ports.plans.versions(nhsNumber, page));
        await auditRead(ports.audit, request, nhsNumber, 'read_versions', relationship);
        return json(200, {
          items: versions.items.map(({ version, ratifiedAt, ratifiedBy }) => ({
            version,
            ratifiedAt,
            ratifiedBy,
          })),
          ...(versions.next && { next: versions.next }),
        });
      }),
    },
    getPlanVersion: {
      handler: authenticated(async (request) => {
        const n = Number(request.params.n);
        if (!Number.isInteger(n) || n < 1)
          throw badRequest('the version must be a whole number from 1', [
            { path: 'n', message: 'not a version number' },
          ]);
        const { nhsNumber, relationship } = await readablePlan(ports, request);
        const version = await ports.plans.version(nhsNumber, n);
        if (!version) throw new HttpProblem(404, 'Not Found', `this plan has no version ${n}`);
        await auditRead(ports.audit, request, nhsNumber, 'read_version', relationship);
        return json(200, publishedView(version, relationship));
      }),
    },
    getAccessLog: {
      handler: authenticated(async (request) => {
        const nhsNumber = nhsNumberParam(request);
        await actFor(ports.carers, request, nhsNumber);
        const page = pageParams(request);
        const { organisation, needsEnrolledPatient } = allowed(readAccessLog(request.actor, nhsNumber));
        if (needsEnrolledPatient && !(await ports.patients.get(nhsNumber))) {
          throw problemFromRefusal(notEnrolled());
        }
        return json(200, await paged(() => ports.audit.accessLog(nhsNumber, page, organisation)));
      }),
    },
    listBreakGlassReports: {
      handler: authenticated(async (request) => {
        const { organisation } = allowed(reviewBreakGlass(request.actor));
        const page = pageParams(request);
        return json(200, await paged(() => ports.audit.breakGlassReports(organisation, page)));
      }),
    },
    listRatifications: {
      handler: authenticated(async (request) => {
        const { organisation } = allowed(readWorklist(request.actor, 'ratifications'));
        const page = pageParams(request);
        return json(200, await paged(() => ports.worklists.awaitingRatification(organisation, page)));
      }),
    },
    ...careNetworkReads(ports),
  });

export const handler = lazyHandler(() =>
  createHandler({
    plans: plans(),
    patients: patients(),
    carers: carers(),
    audit: audit(),
    worklists: worklistReader(),
  }),
);
