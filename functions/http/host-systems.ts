import {
  HostSystem,
  type HostSystemEntry,
  HostSystemId,
  mayManageHostSystems,
  registeredHostSystem,
  writeHostSystem,
} from '../../domain/host-system.ts';
import { hostSystems, lazyHandler } from '../platform/composition-root.ts';
import { type ApiRequest, authenticated, expectedRevision, httpApi, json } from '../platform/http.ts';
import { HostSystemRevisionConflict, type HostSystems } from '../platform/ports.ts';
import { badRequest, etag, HttpProblem, problemFromRefusal } from '../platform/problem.ts';
import { parseBody } from '../platform/validation.ts';
import { appendEntryRevision } from './registry-entry.ts';

/**
 * The host system registry (domain/host-system.ts): the systems that may launch a clinician into
 * a patient's plan (functions/http/tokens.ts). Service administrators only; each entry kept as
 * its revisions, one conditional insert per change, as the organisation registry.
 */

/** Who may manage host systems is decided first: no one else learns whether one exists. */
const manageableId = (request: ApiRequest): string => {
  const refusal = mayManageHostSystems(request.actor);
  if (refusal) throw problemFromRefusal(refusal);
  const id = HostSystemId.safeParse(request.params.id ?? '');
  if (!id.success)
    throw badRequest('the host system id in the path is not valid', [
      { path: 'id', message: 'must be 2 to 63 lower-case letters, digits and -' },
    ]);
  return id.data;
};

const entryResponse = (entry: HostSystemEntry, status: number) =>
  json(status, registeredHostSystem(entry), { ETag: etag(entry.revision) });

/** PUT /host-systems/{id}: registers (201) or replaces whole given If-Match (200). */
const put = (registry: HostSystems) =>
  authenticated(async (request) => {
    const id = manageableId(request);
    const hostSystem = parseBody(HostSystem, request.body);
    const basedOn = expectedRevision(request);
    const current = await registry.get(id);
    const outcome = writeHostSystem(
      current,
      { id, hostSystem, basedOn },
      { actor: request.actor, now: new Date().toISOString() },
    );
    if (!outcome.ok) throw problemFromRefusal(outcome.refusal);
    if (outcome.value === current) return entryResponse(current, 200);
    await appendEntryRevision(registry, id, outcome.value, HostSystemRevisionConflict);
    return entryResponse(outcome.value, current ? 200 : 201);
  });

/** GET /host-systems/{id} */
const get = (registry: HostSystems) =>
  authenticated(async (request) => {
    const entry = await registry.get(manageableId(request));
    if (!entry) throw new HttpProblem(404, 'Not Found', 'no host system with this id is registered');
    return entryResponse(entry, 200);
  });

export const createHandler = (ports: { hostSystems: HostSystems }) =>
  httpApi('hostSystems', {
    putHostSystem: { handler: put(ports.hostSystems) },
    getHostSystem: { handler: get(ports.hostSystems) },
  });

export const handler = lazyHandler(() => createHandler({ hostSystems: hostSystems() }));
