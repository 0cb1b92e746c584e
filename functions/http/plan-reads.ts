import { isRatifier } from '../../domain/actor.ts';
import { accessLogScope, mayReviewBreakGlass, relationshipOf } from '../../domain/permissions.ts';
import { planView, publishedView } from '../../domain/views.ts';
import { listings, planRepository } from '../platform/dynamo.ts';
import { authenticated, httpApi, json, nhsNumberParam, pageParams } from '../platform/http.ts';
import { InvalidCursor, type Page } from '../platform/listings.ts';
import { badRequest, etag, HttpProblem } from '../platform/problem.ts';
import { auditRead, readablePlan, refuseOtherCitizens } from './reads.ts';

const paged = async <T>(load: () => Promise<Page<T>>): Promise<Page<T>> => {
  try {
    return await load();
  } catch (error) {
    if (error instanceof InvalidCursor)
      throw badRequest(error.message, [{ path: 'next', message: 'invalid cursor' }]);
    throw error;
  }
};

export const handler = httpApi([
  {
    method: 'GET',
    path: '/patients/{nhs}/plan',
    handler: authenticated(async (request) => {
      const { nhsNumber, plan, relationship } = await readablePlan(request);
      await auditRead(request, nhsNumber, 'read_plan', relationship);
      return json(200, planView(plan, request.actor, relationship), { ETag: etag(plan.revision) });
    }),
  },
  {
    method: 'GET',
    path: '/patients/{nhs}/plan/versions',
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
  {
    method: 'GET',
    path: '/patients/{nhs}/plan/versions/{n}',
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
  {
    method: 'GET',
    path: '/patients/{nhs}/access-log',
    handler: authenticated(async (request) => {
      const nhsNumber = nhsNumberParam(request);
      refuseOtherCitizens(request.actor, nhsNumber);
      const page = pageParams(request);
      const scope = accessLogScope(request.actor, relationshipOf(request.actor, { nhsNumber, careTeam: [] }));
      if (!scope)
        throw new HttpProblem(
          403,
          'Forbidden',
          'only the patient, their carers and privacy officers read the access log',
        );
      const organisation =
        scope === 'ownOrganisation' && request.actor.kind === 'staff'
          ? request.actor.organisation
          : undefined;
      // A privacy officer sees their own organisation's entries, an empty list for a patient never
      // enrolled as for one their staff never touched: the answer says nothing about enrolment.
      if (!organisation && !(await planRepository().getPatient(nhsNumber))) {
        throw new HttpProblem(404, 'Not Found', 'no patient with this NHS number is enrolled');
      }
      return json(200, await paged(() => listings().listAccessLog(nhsNumber, page, organisation)));
    }),
  },
  {
    method: 'GET',
    path: '/break-glass-reports',
    handler: authenticated(async (request) => {
      const { actor } = request;
      if (actor.kind !== 'staff' || !mayReviewBreakGlass(actor)) {
        throw new HttpProblem(403, 'Forbidden', 'only privacy officers review break-glass reads');
      }
      const page = pageParams(request);
      return json(200, await paged(() => listings().listBreakGlass(actor.organisation, page)));
    }),
  },
  {
    method: 'GET',
    path: '/worklist/ratifications',
    handler: authenticated(async (request) => {
      const { actor } = request;
      if (actor.kind !== 'staff' || !isRatifier(actor.role)) {
        throw new HttpProblem(
          403,
          'Forbidden',
          'only ratifiers (GP, consultant, specialist nurse) have a ratification worklist',
        );
      }
      const page = pageParams(request);
      return json(200, await paged(() => listings().listAwaitingRatification(actor.organisation, page)));
    }),
  },
]);
