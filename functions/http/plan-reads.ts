import { notEnrolled, readAccessLog, readWorklist, reviewBreakGlass } from '../../domain/access.ts';
import { planView, publishedView } from '../../domain/views.ts';
import { audit, carers, lazyHandler, patients, plans, worklistReader } from '../platform/composition-root.ts';
import { authenticated, httpApi, json, nhsNumberParam, pageParams } from '../platform/http.ts';
import type { Audit, Carers, Patients, Plans, Worklists } from '../platform/ports.ts';
import { badRequest, etag, HttpProblem, problemFromRefusal } from '../platform/problem.ts';
import { careNetworkReads } from './care-network.ts';
import { actFor, allowed, auditRead, paged, readablePlan } from './reads.ts';

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
