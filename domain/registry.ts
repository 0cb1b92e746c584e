import type { Refusal } from './refusals.ts';

/**
 * What the registries (domain/organisation.ts, domain/host-system.ts) share: each entry is
 * replaced whole, kept as its revisions. Replacing an entry needs the revision it was based on
 * (If-Match); registering a new one needs none, and a revision given for an entry that does not
 * exist is stale. So two admins writing at once never silently undo each other.
 * `unregistered` says what is missing, e.g. "no organisation with this ODS code is registered".
 */
export const expectEntryRevision = (
  current: { revision: number } | null,
  basedOn: number | undefined,
  unregistered: string,
): Refusal | null => {
  if (!current) {
    return basedOn === undefined
      ? null
      : {
          kind: 'RevisionConflict',
          reason: `${unregistered}: register it without If-Match`,
          currentRevision: null,
        };
  }
  if (basedOn === undefined) {
    return { kind: 'RevisionRequired', reason: 'send If-Match with the ETag of the entry you are replacing' };
  }
  return basedOn === current.revision
    ? null
    : {
        kind: 'RevisionConflict',
        reason: 'the entry has changed since you read it',
        currentRevision: current.revision,
      };
};
