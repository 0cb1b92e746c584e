import { describe, expect, it } from 'vitest';
import { staffRoles } from '../../../domain/actor.ts';
import { decisionsOf, whoIsWho } from './who-is-who.ts';

describe('every decision that turns on the kind of role follows docs/domain.md "Who is who"', () => {
  it.each(staffRoles)('%s', (role) => {
    expect(decisionsOf(role)).toEqual(whoIsWho[role]);
  });
});
