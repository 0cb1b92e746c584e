import { createHash } from 'node:crypto';
import { ulid } from 'ulid';
import type { Actor } from '../../domain/actor.ts';
import type { CommandContext } from '../../domain/lifecycle.ts';
import type { Relationship } from '../../domain/permissions.ts';
import type { ApiRequest } from './http.ts';
import type { IdempotencyRecord } from './plan-repository.ts';
import { badRequest, HttpProblem } from './problem.ts';

/** The clock and id source the pure domain is given. */
export const commandContext = (actor: Actor, relationship: Relationship): CommandContext => ({
  actor,
  relationship,
  now: new Date().toISOString(),
  newId: ulid,
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

/** The `Idempotency-Key` of a creating POST, bound to the caller and a fingerprint of the body. */
export const idempotencyOf = (request: ApiRequest): IdempotencyRecord | undefined => {
  const key = request.headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (!/^[\w-]{8,128}$/.test(key)) {
    throw badRequest('Idempotency-Key must be 8 to 128 letters, digits, - or _', [
      { path: 'Idempotency-Key', message: 'invalid' },
    ]);
  }
  const fingerprint = createHash('sha256')
    .update(JSON.stringify(request.body ?? null))
    .digest('base64url');
  return { key, actorId: request.actor.id, fingerprint };
};

/**
 * Whether a request repeats the one that created an item: the same key and body replays the first
 * answer; the same key with another body is a client error (422).
 */
export const isReplayOf = (
  sent: IdempotencyRecord | undefined,
  stored: IdempotencyRecord | undefined,
): boolean => {
  if (!sent || !stored || sent.key !== stored.key || sent.actorId !== stored.actorId) return false;
  if (sent.fingerprint !== stored.fingerprint) {
    throw new HttpProblem(
      422,
      'Unprocessable Content',
      'this Idempotency-Key was already used with a different request body',
    );
  }
  return true;
};
