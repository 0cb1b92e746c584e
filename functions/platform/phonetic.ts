import { doubleMetaphone } from 'double-metaphone';
import { nameWords } from '../../domain/search.ts';

/** The Double Metaphone codes (primary and alternate) of every word of a name, each once. */
export const phoneticCodes = (name: string): string[] => [
  ...new Set(nameWords(name).flatMap((word) => doubleMetaphone(word).filter(Boolean))),
];
