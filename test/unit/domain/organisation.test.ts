import { describe, expect, it } from 'vitest';
import type { Actor, ServiceAdminActor } from '../../../domain/actor.ts';
import {
  addressFields,
  mayManageOrganisation,
  Organisation,
  type OrganisationEntry,
  organisationFields,
  writeOrganisation,
} from '../../../domain/organisation.ts';
import { mayCommand, mayRead, relationshipOf } from '../../../domain/permissions.ts';
import { PatientProfile } from '../../../domain/plan.ts';
import { expectEntryRevision } from '../../../domain/registry.ts';
import {
  counter,
  GP_PRACTICE,
  gp,
  HOSPICE,
  LATER,
  NHS,
  NOW,
  OTHER_PRACTICE,
  patient,
  staff,
} from './fixtures.ts';

const organisation: Organisation = {
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

  it('lists its fields in organisationFields, addresses among them', () => {
    expect([...organisationFields].sort()).toEqual(Object.keys(Organisation.shape).sort());
    for (const field of addressFields) expect(organisationFields).toContain(field);
  });
});

const OWN = GP_PRACTICE;
const ownAdmin = staff('admin', OWN, 'admin-a81001');
const otherAdmin = staff('admin', OTHER_PRACTICE, 'admin-b82002');
const serviceAdmin: ServiceAdminActor = { kind: 'serviceAdmin', id: 'service-admin-1', role: 'admin' };

describe('mayManageOrganisation: who reads and writes a registry entry', () => {
  it("an organisation's own admin: its own entry only", () => {
    expect(mayManageOrganisation(ownAdmin, OWN)).toBeNull();
    expect(mayManageOrganisation(ownAdmin, OTHER_PRACTICE)).toEqual({
      kind: 'Forbidden',
      reason: "an organisation's admin manages only its own organisation's entry",
    });
    expect(mayManageOrganisation(otherAdmin, OWN)?.kind).toBe('Forbidden');
  });

  it('a service administrator (an admin of no organisation): any entry', () => {
    for (const ods of [OWN, OTHER_PRACTICE, HOSPICE])
      expect(mayManageOrganisation(serviceAdmin, ods)).toBeNull();
  });

  it('and nothing else: a service administrator stands in no relationship to any patient', () => {
    const relationship = relationshipOf(
      serviceAdmin,
      { nhsNumber: NHS, careTeam: [OWN] },
      'an emergency reason',
    );
    expect(relationship).toBe('none');
    expect(mayRead(serviceAdmin, relationship)?.kind).toBe('Forbidden');
    expect(mayCommand(serviceAdmin, 'enrol', relationship)?.kind).toBe('Forbidden');
  });

  it.each([
    ['a GP of the organisation', gp],
    ['its privacy officer', staff('privacy_officer', OWN)],
    ['a patient', patient],
  ])('%s: no entry at all', (_, actor) => {
    expect(mayManageOrganisation(actor, OWN)).toEqual({
      kind: 'Forbidden',
      reason: 'only an admin may manage the organisation registry',
    });
  });
});

const ctx = (actor: Actor, now = NOW) => ({ actor, now, newId: counter() });
const registered = (actor: Actor = serviceAdmin): OrganisationEntry => {
  const outcome = writeOrganisation(null, { ods: OWN, organisation, basedOn: undefined }, ctx(actor));
  if (!outcome.ok) throw new Error(outcome.refusal.reason);
  return outcome.value;
};

describe('writeOrganisation', () => {
  it('registers an entry at revision 1, raising Organisation.Updated with every field and address set', () => {
    const outcome = writeOrganisation(
      null,
      { ods: OWN, organisation, basedOn: undefined },
      ctx(serviceAdmin),
    );
    expect(outcome).toEqual({
      ok: true,
      value: {
        ods: OWN,
        revision: 1,
        organisation,
        updatedAt: NOW,
        updatedBy: { id: 'service-admin-1', role: 'admin' },
      },
      events: [
        {
          id: 'id-1',
          type: 'Organisation.Updated',
          at: NOW,
          detail: {
            ods: OWN,
            revision: 1,
            updatedBy: { id: 'service-admin-1', role: 'admin' },
            changedFields: ['name', 'kind', 'notificationEmail', 'privacyOfficerEmail'],
            addressChanges: [
              { field: 'notificationEmail', from: null, to: organisation.notificationEmail },
              { field: 'privacyOfficerEmail', from: null, to: organisation.privacyOfficerEmail },
            ],
          },
        },
      ],
    });
  });

  it("replaces the entry whole: names the changed fields, and each address's old and new value", () => {
    const current = registered();
    const { privacyOfficerEmail: _, ...withoutOfficer } = organisation;
    const next = { ...withoutOfficer, notificationEmail: 'new.inbox@nhs.net' };
    const outcome = writeOrganisation(
      current,
      { ods: OWN, organisation: next, basedOn: 1 },
      ctx(ownAdmin, LATER),
    );
    if (!outcome.ok) throw new Error(outcome.refusal.reason);
    expect(outcome.value).toEqual({
      ods: OWN,
      revision: 2,
      organisation: next,
      updatedAt: LATER,
      updatedBy: { id: 'admin-a81001', role: 'admin', organisation: OWN },
    });
    expect(outcome.events.map((e) => e.detail)).toEqual([
      {
        ods: OWN,
        revision: 2,
        updatedBy: { id: 'admin-a81001', role: 'admin', organisation: OWN },
        changedFields: ['notificationEmail', 'privacyOfficerEmail'],
        addressChanges: [
          { field: 'notificationEmail', from: organisation.notificationEmail, to: 'new.inbox@nhs.net' },
          { field: 'privacyOfficerEmail', from: organisation.privacyOfficerEmail, to: null },
        ],
      },
    ]);
  });

  it('a change of name alone raises the event with no address changes', () => {
    const outcome = writeOrganisation(
      registered(),
      { ods: OWN, organisation: { ...organisation, name: 'Riverside Medical Centre' }, basedOn: 1 },
      ctx(ownAdmin),
    );
    expect(outcome.ok && outcome.events.map((e) => e.detail)).toEqual([
      expect.objectContaining({ changedFields: ['name'], addressChanges: [] }),
    ]);
  });

  it('the same entry written again is no change: the same revision, no event', () => {
    const current = registered();
    expect(
      writeOrganisation(current, { ods: OWN, organisation: { ...organisation }, basedOn: 1 }, ctx(ownAdmin)),
    ).toEqual({ ok: true, value: current, events: [] });
  });

  it("refuses another organisation's admin before anything else, whatever the revision", () => {
    const outcome = writeOrganisation(registered(), { ods: OWN, organisation, basedOn: 7 }, ctx(otherAdmin));
    expect(!outcome.ok && outcome.refusal.kind).toBe('Forbidden');
  });

  describe('no lost updates: replacing needs the revision it was based on', () => {
    it('without a revision: RevisionRequired', () => {
      const outcome = writeOrganisation(
        registered(),
        { ods: OWN, organisation, basedOn: undefined },
        ctx(ownAdmin),
      );
      expect(!outcome.ok && outcome.refusal).toEqual({
        kind: 'RevisionRequired',
        reason: 'send If-Match with the ETag of the entry you are replacing',
      });
    });

    it('with a stale revision: RevisionConflict with the current one', () => {
      const current = { ...registered(), revision: 3 };
      const outcome = writeOrganisation(current, { ods: OWN, organisation, basedOn: 2 }, ctx(ownAdmin));
      expect(!outcome.ok && outcome.refusal).toEqual({
        kind: 'RevisionConflict',
        reason: 'the entry has changed since you read it',
        currentRevision: 3,
      });
    });

    it('with a revision for an entry that does not exist: RevisionConflict with no current revision', () => {
      expect(expectEntryRevision(null, 1, 'no organisation with this ODS code is registered')).toEqual({
        kind: 'RevisionConflict',
        reason: expect.stringContaining('register it without If-Match'),
        currentRevision: null,
      });
      expect(
        expectEntryRevision(null, undefined, 'no organisation with this ODS code is registered'),
      ).toBeNull();
    });
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
