import { describe, expect, it } from 'vitest';
import { mayManageOrganisations, Organisation } from '../../../domain/organisation.ts';
import { PatientProfile } from '../../../domain/plan.ts';
import { GP_PRACTICE, gp, NHS, patient, staff } from './fixtures.ts';

const organisation = {
  name: 'Riverside Surgery',
  kind: 'gp_practice',
  notificationEmail: 'riverside.surgery@nhs.net',
  privacyOfficerEmail: 'ig.riverside@nhs.net',
};

describe('Organisation', () => {
  it('accepts a registry entry, the privacy officer optional', () => {
    expect(Organisation.parse(organisation)).toEqual(organisation);
    const { privacyOfficerEmail: _, ...withoutOfficer } = organisation;
    expect(Organisation.parse(withoutOfficer)).toEqual(withoutOfficer);
  });

  it.each([
    ['an unknown field', { ...organisation, ods: GP_PRACTICE }],
    ['an unknown kind', { ...organisation, kind: 'pharmacy' }],
    ['a notification address that is not an email', { ...organisation, notificationEmail: 'riverside' }],
    ['a privacy officer address that is not an email', { ...organisation, privacyOfficerEmail: 'x@' }],
    ['no notification address', { name: 'Riverside Surgery', kind: 'gp_practice' }],
    ['an empty name', { ...organisation, name: '  ' }],
  ])('refuses %s', (_, body) => {
    expect(Organisation.safeParse(body).success).toBe(false);
  });

  it('is managed by admins only', () => {
    expect(mayManageOrganisations(staff('admin', 'X26'))).toBeNull();
    expect(mayManageOrganisations(gp)?.kind).toBe('Forbidden');
    expect(mayManageOrganisations(staff('privacy_officer', GP_PRACTICE))?.kind).toBe('Forbidden');
    expect(mayManageOrganisations(patient)?.kind).toBe('Forbidden');
  });
});

describe('PatientProfile email', () => {
  const profile = {
    nhsNumber: NHS,
    name: { given: 'Ada', family: 'Byron' },
    birthDate: '1941-02-11',
    postcode: 'SW1A 1AA',
    gpPractice: GP_PRACTICE,
  };

  it('is optional', () => {
    expect(PatientProfile.parse(profile).email).toBeUndefined();
    expect(PatientProfile.parse({ ...profile, email: 'ada@example.org' }).email).toBe('ada@example.org');
  });

  it('must be an email address, and the profile stays strict', () => {
    expect(PatientProfile.safeParse({ ...profile, email: 'not an email' }).success).toBe(false);
    expect(PatientProfile.safeParse({ ...profile, phone: '07700 900123' }).success).toBe(false);
  });
});
