import { getRandomValues } from 'node:crypto';
import { ulid } from 'ulid';

// ulid draws one byte from the CSPRNG per character (16 calls an id); a pool refilled from the
// same CSPRNG gives the same randomness at a fraction of the cost on the crisis lookup's path.
const pool = new Uint8Array(512);
let next = pool.length;
const random = (): number => {
  if (next === pool.length) {
    getRandomValues(pool);
    next = 0;
  }
  const byte = pool[next] as number;
  next += 1;
  return byte / 256;
};

/** A new ULID: sortable by time, unique, for access records and events. */
export const newId = (): string => ulid(Date.now(), random);
