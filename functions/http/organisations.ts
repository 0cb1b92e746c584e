import { ulid } from 'ulid';
import {
  mayManageOrganisation,
  Organisation,
  type OrganisationEntry,
  registeredOrganisation,
  writeOrganisation,
} from '../../domain/organisation.ts';
import { lazyHandler, organisations } from '../platform/composition-root.ts';
import {
  type ApiRequest,
  authenticated,
  expectedRevision,
  httpApi,
  json,
  odsParam,
} from '../platform/http.ts';
import { OrganisationRevisionConflict, type Organisations } from '../platform/ports.ts';
import { etag, HttpProblem, problemFromRefusal } from '../platform/problem.ts';
import { parseBody } from '../platform/validation.ts';
import { appendEntryRevision } from './registry-entry.ts';

/**
 * The organisation registry: where each organisation is told of what (functions/consumers/
 * notifications.ts). An organisation's admin reads and writes its own entry, a service
 * administrator any (domain/organisation.ts).
 */
/** Who may manage this entry is decided first: no one else learns whether it exists. */
const manageableOds = (request: ApiRequest): string => {
  const ods = odsParam(request);
  const refusal = mayManageOrganisation(request.actor, ods);
  if (refusal) throw problemFromRefusal(refusal);
  return ods;
};

const entryResponse = (entry: OrganisationEntry, status: number) =>
  json(status, registeredOrganisation(entry), { ETag: etag(entry.revision) });

/**
 * PUT /organisations/{ods}: registers the entry (201), or replaces it whole given If-Match (200).
 * One conditional write of the next revision, carrying its `Organisation.Updated` event.
 */
const put = (registry: Organisations) =>
  authenticated(async (request) => {
    const ods = manageableOds(request);
    const organisation = parseBody(Organisation, request.body);
    const basedOn = expectedRevision(request);
    const current = await registry.get(ods);
    const outcome = writeOrganisation(
      current,
      { ods, organisation, basedOn },
      { actor: request.actor, now: new Date().toISOString(), newId: ulid },
    );
    if (!outcome.ok) throw problemFromRefusal(outcome.refusal);
    if (outcome.events.length === 0) return entryResponse(outcome.value, 200);
    await appendEntryRevision(
      registry,
      ods,
      { ...outcome.value, events: outcome.events },
      OrganisationRevisionConflict,
    );
    return entryResponse(outcome.value, current ? 200 : 201);
  });

/** GET /organisations/{ods} */
const get = (registry: Organisations) =>
  authenticated(async (request) => {
    const ods = manageableOds(request);
    const entry = await registry.get(ods);
    if (!entry) throw new HttpProblem(404, 'Not Found', 'no organisation with this ODS code is registered');
    return entryResponse(entry, 200);
  });

export const createHandler = (ports: { organisations: Organisations }) =>
  httpApi('organisations', {
    putOrganisation: { handler: put(ports.organisations) },
    getOrganisation: { handler: get(ports.organisations) },
  });

export const handler = lazyHandler(() => createHandler({ organisations: organisations() }));
