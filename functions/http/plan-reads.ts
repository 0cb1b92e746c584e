import { notEnrolled, readAccessLog, readWorklist, reviewBreakGlass } from '../../domain/access.ts';
import { planView, publishedView } from '../../domain/views.ts';
import { listings, planRepository } from '../platform/dynamo.ts';
import { authenticated, httpApi, json, nhsNumberParam, pageParams } from '../platform/http.ts';
import { InvalidCursor, type Page } from '../platform/listings.ts';
import { badRequest, etag, HttpProblem, problemFromRefusal } from '../platform/problem.ts';
import { allowed, auditRead, onlyOwnRecord, readablePlan } from './reads.ts';

const paged = async <T>(load: () => Promise<Page<T>>): Promise<Page<T>> => {
  try {
    return await load();
  } catch (error) {
    if (error instanceof InvalidCursor)
      throw badRequest(error.message, [{ path: 'next', message: 'invalid cursor' }]);
    throw error;
  }
};

export const handler = httpApi('planReads', {
  getPlan: {
    handler: authenticated(async (request) => {
      const { nhsNumber, plan, relationship } = await readablePlan(request);
      await auditRead(request, nhsNumber, 'read_plan', relationship);
      return json(200, planView(plan, request.actor, relationship), { ETag: etag(plan.revision) });
    }),
  },
  listPlanVersions: {
    handler: authenticated(async (request) => {
      const page = pageParams(request);
      const { nhsNumber, relationship } = await readablePlan(request);
      const versions = await paged(() => listings().listVersions(nhsNumber, page));
      await auditRead(request, nhsNumber, 'read_versions', relationship);
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
      const { nhsNumber, relationship } = await readablePlan(request);
      const version = await planRepository().getVersion(nhsNumber, n);
      if (!version) throw new HttpProblem(404, 'Not Found', `this plan has no version ${n}`);
      await auditRead(request, nhsNumber, 'read_version', relationship);
      return json(200, publishedView(version, relationship));
    }),
  },
  getAccessLog: {
    handler: authenticated(async (request) => {
      const nhsNumber = nhsNumberParam(request);
      onlyOwnRecord(request, nhsNumber);
      const page = pageParams(request);
      const { organisation, needsEnrolledPatient } = allowed(readAccessLog(request.actor, nhsNumber));
      if (needsEnrolledPatient && !(await planRepository().getPatient(nhsNumber))) {
        throw problemFromRefusal(notEnrolled());
      }
      return json(200, await paged(() => listings().listAccessLog(nhsNumber, page, organisation)));
    }),
  },
  listBreakGlassReports: {
    handler: authenticated(async (request) => {
      const { organisation } = allowed(reviewBreakGlass(request.actor));
      const page = pageParams(request);
      return json(200, await paged(() => listings().listBreakGlass(organisation, page)));
    }),
  },
  listRatifications: {
    handler: authenticated(async (request) => {
      const { organisation } = allowed(readWorklist(request.actor, 'ratifications'));
      const page = pageParams(request);
      return json(200, await paged(() => listings().listAwaitingRatification(organisation, page)));
    }),
  },
});
