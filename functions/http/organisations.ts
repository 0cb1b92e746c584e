import { type Actor, actorRef, OdsCode } from '../../domain/actor.ts';
import { mayManageOrganisations, Organisation } from '../../domain/organisation.ts';
import { planRepository } from '../platform/dynamo.ts';
import { type ApiRequest, authenticated, httpApi, json } from '../platform/http.ts';
import type { OrganisationRecord } from '../platform/plan-repository.ts';
import { badRequest, HttpProblem, problemFromRefusal } from '../platform/problem.ts';
import { parseBody } from '../platform/validation.ts';

/** The organisation registry: who is told of what (functions/consumers/notifications.ts). Admins only. */
const requireAdmin = (actor: Actor): void => {
  const refusal = mayManageOrganisations(actor);
  if (refusal) throw problemFromRefusal(refusal);
};

const odsParam = (request: ApiRequest): string => {
  const result = OdsCode.safeParse(request.params.ods ?? '');
  if (!result.success)
    throw badRequest('the ODS code in the path is not valid', [
      { path: 'ods', message: 'must be an ODS code: 3 to 10 capital letters and digits' },
    ]);
  return result.data;
};

const view = (record: OrganisationRecord) => ({
  ods: record.ods,
  ...record.organisation,
  updatedAt: record.updatedAt,
  updatedBy: record.updatedBy,
});

/** PUT /organisations/{ods}: writes the organisation whole (creating or replacing it). */
const put = authenticated(async (request) => {
  requireAdmin(request.actor);
  const ods = odsParam(request);
  const organisation = parseBody(Organisation, request.body);
  const record: OrganisationRecord = {
    ods,
    organisation,
    updatedAt: new Date().toISOString(),
    updatedBy: actorRef(request.actor),
  };
  await planRepository().putOrganisation(ods, organisation, { at: record.updatedAt, by: record.updatedBy });
  return json(200, view(record));
});

/** GET /organisations/{ods} */
const get = authenticated(async (request) => {
  requireAdmin(request.actor);
  const ods = odsParam(request);
  const record = await planRepository().getOrganisation(ods);
  if (!record) throw new HttpProblem(404, 'Not Found', 'no organisation with this ODS code is registered');
  return json(200, view(record));
});

export const handler = httpApi([
  { method: 'PUT', path: '/organisations/{ods}', handler: put },
  { method: 'GET', path: '/organisations/{ods}', handler: get },
]);
