import type { Actor } from '../../domain/actor.ts';
import type { CommandContext } from '../../domain/lifecycle.ts';
import type { Relationship } from '../../domain/permissions.ts';
import type { Publisher } from '../../domain/pointer.ts';
import { apiUrl, custodianOds } from './config.ts';
import type { ApiRequest } from './http.ts';
import { newId } from './ids.ts';
import { badRequest } from './problem.ts';

/** Where a version's FHIR document is fetched: the route `getPlanFhir` (functions/http/routes.ts). */
export const fhirDocumentUrl = (base: string, nhsNumber: string, version: number): string =>
  `${base.replace(/\/+$/, '')}/patients/${nhsNumber}/plan/fhir?version=${version}`;

/**
 * This service as the publisher of record-locator pointers, read from the configuration only
 * when a command publishes one, so the other commands need neither setting.
 */
export const publisher: Publisher = {
  get custodian() {
    return custodianOds();
  },
  documentUrl: (nhsNumber, version) => fhirDocumentUrl(apiUrl(), nhsNumber, version),
};

/** The clock, id source and publisher the pure domain is given. */
export const commandContext = (actor: Actor, relationship: Relationship): CommandContext => ({
  actor,
  relationship,
  now: new Date().toISOString(),
  newId,
  publisher,
});

/** `Break-Glass: <reason>`: staff outside the care team reading in an emergency, always audited. */
export const breakGlassReason = (request: ApiRequest): string | undefined => {
  const reason = request.headers['break-glass']?.trim();
  if (reason === undefined) return undefined;
  if (reason.length < 10 || reason.length > 500) {
    throw badRequest('Break-Glass needs a reason of 10 to 500 characters', [
      { path: 'Break-Glass', message: 'reason must be 10 to 500 characters' },
    ]);
  }
  return reason;
};
