import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staffRoles } from '../../../domain/actor.ts';
import { policy } from '../../../domain/permissions.ts';
import { decisionsOf, kinds, whoIsWho } from './who-is-who.ts';

/**
 * Who may ratify is one line of `policy`: make nurses ratifiers there, and every decision about
 * them follows (ratifying a draft sent to their organisation, returning it, seeing it, the
 * worklist), with no other role's decisions changing. Each test file has its own module state.
 */
const contributorGrant = policy.nurse;

beforeAll(() => {
  policy.nurse = policy.gp;
});
afterAll(() => {
  policy.nurse = contributorGrant;
});

describe('nurse: ratifier, changed in policy alone', () => {
  it.each(staffRoles)('%s', (role) => {
    expect(decisionsOf(role)).toEqual(role === 'nurse' ? kinds.ratifier : whoIsWho[role]);
  });
});
