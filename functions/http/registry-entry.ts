import { lostRace } from '../platform/problem.ts';

/**
 * Appends a registry entry's next revision (organisations, host systems): the one conditional
 * insert of a registry write. Losing the race to another writer is a 412 with the revision that
 * won, so neither silently undoes the other.
 */
export const appendEntryRevision = async <EntryRecord>(
  registry: {
    get(key: string): Promise<{ revision: number } | null>;
    append(record: EntryRecord): Promise<void>;
  },
  key: string,
  record: EntryRecord,
  RevisionConflict: abstract new (...args: never[]) => Error,
): Promise<void> => {
  try {
    await registry.append(record);
  } catch (error) {
    if (!(error instanceof RevisionConflict)) throw error;
    const winner = await registry.get(key);
    throw lostRace('the entry was changed by someone else at the same time', winner?.revision ?? 0);
  }
};
