import { describe, expect, it } from 'vitest';
import { staffRoles } from '../../../domain/actor.ts';
import { carerDecisionsOf, carerGrantKinds, carers, decisionsOf, whoIsWho } from './who-is-who.ts';

describe('every decision that turns on the kind of role follows docs/domain.md "Who is who"', () => {
  it.each(staffRoles)('%s', (role) => {
    expect(decisionsOf(role)).toEqual(whoIsWho[role]);
  });
});

describe('what a carer may do follows docs/domain.md "Carers", by the grant the patient gave them', () => {
  it.each(carerGrantKinds)('a carer with grant: %s', (kind) => {
    expect(carerDecisionsOf(kind)).toEqual(carers[kind]);
  });
});
