import type { Actor } from '../../domain/actor.ts';
import type { CommandContext } from '../../domain/lifecycle.ts';
import type { Relationship } from '../../domain/permissions.ts';
import type { ApiRequest } from './http.ts';
import { newId } from './ids.ts';
import { badRequest } from './problem.ts';

/** The clock and id source the pure domain is given. */
export const commandContext = (actor: Actor, relationship: Relationship): CommandContext => ({
  actor,
  relationship,
  now: new Date().toISOString(),
  newId,
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
