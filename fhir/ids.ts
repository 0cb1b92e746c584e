import { createHash } from 'node:crypto';

/** This service's namespace for name-based UUIDs (RFC 9562 version 5). */
const namespace = Buffer.from('6d1c2f0e8a4b5c3d9e7f1a2b3c4d5e6f', 'hex');

/**
 * A UUID from a name, the same every time: a version's document keeps its resource ids, so the
 * same version exported twice is the same document.
 */
export const nameUuid = (name: string): string => {
  const hash = createHash('sha1').update(namespace).update(name).digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};
