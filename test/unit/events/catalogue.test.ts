import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CitizenActor, StaffActor } from '../../../domain/actor.ts';
import { grantCarer, revokeCarer } from '../../../domain/carers.ts';
import { type DomainEvent, type EventType, raise } from '../../../domain/events.ts';
import { decideLaunch, launchRecord } from '../../../domain/launch.ts';
import {
  type CommandContext,
  createPlan,
  editDraft,
  enrolPatient,
  joinCareTeam,
  leaveCareTeam,
  type Outcome,
  ratifyPlan,
  recordDeath,
  returnPlan,
  submitPlan,
  withdrawPlan,
} from '../../../domain/lifecycle.ts';
import { writeOrganisation } from '../../../domain/organisation.ts';
import type { Relationship } from '../../../domain/permissions.ts';
import type { PatientProfile, Plan } from '../../../domain/plan.ts';
import type { Sections } from '../../../domain/sections.ts';
import { detailSchemas, eventTypes, jsonSchemas } from '../../../events/catalogue.ts';
import { eventSource } from '../../../events/source.ts';
import { toDetail, toEntry } from '../../../events/wire.ts';
import { testPublisher } from '../../support/publisher.ts';

const NHS = '9434765919';
const GP_PRACTICE = 'A81001';
const BUS = 'ucp-catalogue-bus';

/** Strings that appear only inside the patient's profile, the plan's sections or command free text. */
const secret = {
  actorName: 'Dr Quill',
  given: 'Philomena',
  family: 'Quartermaine',
  postcode: 'ZE2 9QZ',
  email: 'philomena.quartermaine@example.org',
  placeText: 'the blue caravan at Saltmarsh Lane',
  homeAccess: 'keysafe 4417 behind the water butt',
  whatMattersToMe: 'feeding the kingfishers every morning',
  edited: 'wants her harp playlist on loop',
  contact: 'Barnaby Quartermaine',
  phone: '07700 900876',
  diagnosis: 'mesothelioma of the left pleura',
  medicines: 'locked tin under the piano stool',
  cprDecidedBy: 'Dr Ignatius Fenwick-Holt',
  recommendation: 'avoid IV antibiotics',
  note: 'submission note about the morphine pump',
  comments: 'return comments: clarify the syringe driver dose',
  ratifyNote: 'ratified after the family meeting in the conservatory',
  reason: 'withdrawal reason: her nephew objects to sharing',
  deathReason: 'transferred for intractable seizures',
  deathPlaceText: 'St Swithun hospice garden room',
  carerName: 'Perpetua Quartermaine-Vane',
  carerRelationship: 'goddaughter from Lindisfarne',
};
const CARER_NHS = '9990000042';

const gp: StaffActor = {
  kind: 'staff',
  id: 'gp-1@A81001',
  role: 'gp',
  organisation: GP_PRACTICE,
  name: secret.actorName,
};
const edClinician: StaffActor = { kind: 'staff', id: 'ed-1@RJ1', role: 'ed_clinician', organisation: 'RJ1' };

const sections = (): Sections => ({
  preferences: {
    preferredPlaceOfDeath: { code: 'home', text: secret.placeText },
    homeAccess: secret.homeAccess,
  },
  aboutMe: { whatMattersToMe: secret.whatMattersToMe },
  contacts: { people: [{ name: secret.contact, relationship: 'son', phone: secret.phone }] },
  clinical: {
    diagnoses: [{ description: secret.diagnosis, primary: true }],
    anticipatoryMedicines: { prescribed: true, location: secret.medicines },
  },
  cpr: {
    decision: 'dnacpr',
    decisionDate: '2026-11-20',
    decidedBy: { name: secret.cprDecidedBy, role: 'gp' },
    discussedWithPatient: true,
  },
  treatment: { ceiling: 'comfort', recommendations: [secret.recommendation] },
  consent: { status: 'given', date: '2026-11-20' },
});

const profile: PatientProfile = {
  nhsNumber: NHS,
  name: { given: secret.given, family: secret.family },
  birthDate: '1938-04-02',
  postcode: secret.postcode,
  gpPractice: GP_PRACTICE,
  email: secret.email,
};

/** A fixed clock and id source: every run makes the same events. */
let step = 0;
const ctx = (actor: StaffActor | CitizenActor, relationship: Relationship = 'careTeam'): CommandContext => {
  step += 1;
  const n = step;
  let k = 0;
  return {
    actor,
    relationship,
    now: new Date(Date.parse('2026-11-21T09:00:00.000Z') + n * 60_000).toISOString(),
    // One command may raise two events (a ratification publishes a pointer): each its own id.
    newId: () => `01KAZ${String(n).padStart(19, '0')}${String(++k).padStart(2, '0')}`,
    publisher: testPublisher,
  };
};

const events: DomainEvent[] = [];
const ok = <T>(outcome: Outcome<T>): T => {
  if (!outcome.ok) throw new Error(`refused: ${JSON.stringify(outcome.refusal)}`);
  events.push(...outcome.events);
  return outcome.value;
};

/** The story: enrolled, drafted, edited, submitted, returned, ratified twice, then withdrawn; and, on a branch, a death. */
ok(enrolPatient(profile, ctx(gp, 'none')));
let plan: Plan = ok(createPlan(null, { nhsNumber: NHS, careTeam: [GP_PRACTICE] }, sections(), ctx(gp)));
plan = ok(editDraft(plan, { aboutMe: { whatMattersToMe: secret.edited } }, ctx(gp)));
plan = ok(
  submitPlan(plan, { organisation: GP_PRACTICE, clinician: 'gp-1@A81001', note: secret.note }, ctx(gp)),
);
plan = ok(returnPlan(plan, { comments: secret.comments }, ctx(gp)));
plan = ok(submitPlan(plan, { organisation: GP_PRACTICE }, ctx(gp)));
plan = ok(ratifyPlan(plan, { note: secret.ratifyNote }, ctx(gp)));
plan = ok(editDraft(plan, { aboutMe: { whatMattersToMe: secret.edited } }, ctx(gp)));
plan = ok(ratifyPlan(plan, {}, ctx(gp)));
const ratifiedTwice = plan;
ok(withdrawPlan(ratifiedTwice, { reason: secret.reason }, ctx(gp)));
ok(
  recordDeath(
    ratifiedTwice,
    {
      date: '2026-11-21',
      place: 'hospice',
      placeText: secret.deathPlaceText,
      reasonIfNotPreferred: secret.deathReason,
    },
    ctx(gp),
  ),
);
// The care network: a hospice joins and a care home leaves; the patient grants a carer, who ends it.
const hospice = 'H12345';
plan = ok(joinCareTeam(ratifiedTwice, true, { organisation: hospice, reason: secret.note }, ctx(gp)));
ok(
  leaveCareTeam(plan, { gpPractice: GP_PRACTICE }, { organisation: hospice, reason: secret.reason }, ctx(gp)),
);
const patientActor: CitizenActor = {
  kind: 'citizen',
  id: 'patient-1',
  role: 'patient',
  nhsNumber: NHS,
  proofingLevel: 'P9',
};
const granted = ok(
  grantCarer(
    NHS,
    true,
    [],
    {
      carer: { nhsNumber: CARER_NHS, name: secret.carerName },
      relationship: secret.carerRelationship,
      legalBasis: 'patient-consent',
      access: 'co-author',
      until: '2027-06-01',
    },
    ctx(patientActor, 'self'),
  ),
);
const carerActor: CitizenActor = {
  kind: 'citizen',
  id: 'carer-1',
  role: 'carer',
  nhsNumber: CARER_NHS,
  proofingLevel: 'P9',
  proxy: { nhsNumber: NHS, grantId: granted.id, access: 'co-author' },
};
ok(revokeCarer({ grant: granted, revocation: null }, secret.reason, ctx(carerActor, 'proxyCoAuthor')));

const accessCtx = ctx(edClinician, 'breakGlass');
events.push(
  raise(
    'CarePlan.Accessed',
    {
      nhsNumber: NHS,
      accessId: 'ACCESS-01',
      reader: { id: edClinician.id, role: edClinician.role, organisation: edClinician.organisation },
      action: 'read_plan',
      purpose: 'unconscious in resus, no family present',
      breakGlass: true,
    },
    accessCtx,
  ),
);

// An admin of the practice changes where its alerts go: the registry's event, with no patient in it.
const practiceAdmin: StaffActor = {
  kind: 'staff',
  id: 'admin-1@A81001',
  role: 'admin',
  organisation: GP_PRACTICE,
};
const practice = {
  name: 'Riverside Surgery',
  kind: 'gp_practice' as const,
  notificationEmail: 'riverside.surgery@nhs.net',
};
const entry = ok(
  writeOrganisation(
    null,
    { ods: GP_PRACTICE, organisation: practice, basedOn: undefined },
    ctx(practiceAdmin),
  ),
);
ok(
  writeOrganisation(
    entry,
    { ods: GP_PRACTICE, organisation: { ...practice, notificationEmail: 'new.inbox@nhs.net' }, basedOn: 1 },
    ctx(practiceAdmin),
  ),
);

// A GP launched from a host system into the patient's record: the launch's event, with no name in it.
const launchAt = Date.parse('2026-11-21T10:00:00.000Z') / 1000;
const launched = decideLaunch(
  {
    id: 'demo-emis',
    revision: 1,
    hostSystem: {
      name: 'EMIS Web (demo)',
      jwksUri: 'https://keys.emis.test/jwks.json',
      organisations: [GP_PRACTICE],
      roles: { R8000: 'gp' },
    },
    updatedAt: '2026-11-01T09:00:00.000Z',
    updatedBy: { id: 'ops', role: 'admin' },
  },
  {
    iss: 'demo-emis',
    sub: 'gp-1@A81001',
    exp: launchAt + 120,
    jti: 'assertion-0001',
    ods: GP_PRACTICE,
    role: 'R8000',
    patient: NHS,
    name: secret.actorName,
  },
  launchAt,
);
if (!launched.ok) throw new Error(`refused: ${launched.refusal.reason}`);
events.push(...launchRecord(launched.value, { ...ctx(gp), sessionId: 'SESSION-01' }).events);

const ofType = <T extends EventType>(type: T) => events.filter((e) => e.type === type) as DomainEvent<T>[];

describe('event catalogue: details of real domain events', () => {
  it('the story raises every detail-type in the catalogue, each event with a distinct id', () => {
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(eventTypes));
    expect(eventTypes).toHaveLength(17);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it.each(eventTypes)('%s: the detail passes its schema exactly, with eventId and version 1', (type) => {
    const ofThisType = events.filter((e) => e.type === type);
    expect(ofThisType.length).toBeGreaterThan(0);
    for (const event of ofThisType) {
      const detail = toDetail(event);
      // z.object strips unknown keys: equality means the detail has no field the catalogue lacks
      expect(detailSchemas[type].parse(detail)).toEqual(detail);
      expect(detail.eventId).toBe(event.id);
      expect(detail.version).toBe(1);
      // Every fact of the domain event travels, and nothing else but the envelope
      const { eventId: _id, version: _v, ...facts } = detail as Record<string, unknown>;
      if (type === 'CarePlan.Ratified' || type === 'CarePlan.Published' || type === 'CarePlan.Unpublished') {
        const { version: planVersion, ...rest } = event.detail as { version: number };
        expect(facts).toStrictEqual({ ...rest, planVersion });
      } else {
        expect(facts).toStrictEqual(event.detail);
        expect(detail).not.toHaveProperty('planVersion');
      }
    }
  });

  it('Organisation.Updated names the changed fields and the old and new address, and no patient', () => {
    const [registered, changed] = ofType('Organisation.Updated').map((e) => toDetail(e));
    expect(registered?.changedFields).toEqual(['name', 'kind', 'notificationEmail']);
    expect(changed).toMatchObject({
      ods: GP_PRACTICE,
      revision: 2,
      updatedBy: { id: practiceAdmin.id, role: 'admin', organisation: GP_PRACTICE },
      changedFields: ['notificationEmail'],
      addressChanges: [
        { field: 'notificationEmail', from: 'riverside.surgery@nhs.net', to: 'new.inbox@nhs.net' },
      ],
    });
    expect(changed).not.toHaveProperty('nhsNumber');
  });

  it('CarePlan.Ratified carries the published version as planVersion, and version is the schema version', () => {
    const details = ofType('CarePlan.Ratified').map((e) => toDetail(e));
    expect(details.map((d) => d.planVersion)).toEqual([1, 2]);
    expect(details.map((d) => d.version)).toEqual([1, 1]);
    expect(details.map((d) => d.revision)).toEqual([6, 8]);
    expect(details[1]?.careTeam).toEqual([GP_PRACTICE]);
  });

  it('CarePlan.Published points at each version, superseding the last; Unpublished retires the last', () => {
    const published = ofType('CarePlan.Published').map((e) => toDetail(e));
    expect(published.map((d) => [d.planVersion, d.pointer.id, d.replaces])).toEqual([
      [1, `${NHS}-v1`, null],
      [2, `${NHS}-v2`, `${NHS}-v1`],
    ]);
    expect(published[1]?.pointer).toMatchObject({
      type: { system: 'http://snomed.info/sct', code: '736373009' },
      category: { system: 'http://snomed.info/sct', code: '734163000' },
      custodian: 'UCP01',
      url: `https://ucp.test/patients/${NHS}/plan/fhir?version=2`,
      contentType: 'application/fhir+json',
    });
    const retired = ofType('CarePlan.Unpublished').map((e) => toDetail(e));
    expect(retired.map((d) => [d.reason, d.planVersion, d.pointerId])).toEqual([
      ['withdrawn', 2, `${NHS}-v2`],
      ['died', 2, `${NHS}-v2`],
    ]);
  });

  it('specific facts: submittedTo, death comparison and break-glass survive conversion', () => {
    const [first, second] = ofType('CarePlan.Submitted').map((e) => toDetail(e));
    expect(first?.submittedTo).toEqual({ organisation: GP_PRACTICE, clinician: 'gp-1@A81001' });
    expect(second?.submittedTo).toEqual({ organisation: GP_PRACTICE });
    const [died] = ofType('Patient.Died').map((e) => toDetail(e));
    expect(died).toMatchObject({ date: '2026-11-21', place: 'hospice', diedInPreferredPlace: false });
    const [accessed] = ofType('CarePlan.Accessed').map((e) => toDetail(e));
    expect(accessed).toMatchObject({ breakGlass: true, action: 'read_plan', accessId: 'ACCESS-01' });
    const [returned] = ofType('CarePlan.Returned').map((e) => toDetail(e));
    expect(returned?.submittedBy).toEqual({ id: gp.id, role: 'gp', organisation: GP_PRACTICE });
  });

  it('no detail or entry carries profile, section content or command free text', () => {
    const leaked = events.flatMap((event) => {
      const wire = `${JSON.stringify(toDetail(event))}\n${JSON.stringify(toEntry(event, BUS))}`;
      return Object.values(secret)
        .filter((s) => wire.includes(s))
        .map((s) => `${event.type}: ${s}`);
    });
    expect(leaked).toEqual([]);
    // ...and the check is not vacuous: the plan itself does hold them
    expect(JSON.stringify(ratifiedTwice)).toContain(secret.diagnosis);
  });

  it('names, not content: section lists are names only', () => {
    const [created] = ofType('CarePlan.Created').map((e) => toDetail(e));
    expect(created?.sections).toEqual([
      'contacts',
      'aboutMe',
      'preferences',
      'clinical',
      'cpr',
      'treatment',
      'consent',
    ]);
    const updated = ofType('CarePlan.DraftUpdated').map((e) => toDetail(e).sections);
    expect(updated).toEqual([['aboutMe'], ['aboutMe']]);
  });
});

describe('toEntry', () => {
  it.each(eventTypes)('%s: a PutEvents entry from source urgent-care-plans on the given bus', (type) => {
    for (const event of events.filter((e) => e.type === type)) {
      const entry = toEntry(event, BUS);
      expect(Object.keys(entry).sort()).toEqual(['Detail', 'DetailType', 'EventBusName', 'Source', 'Time']);
      expect(entry.Source).toBe('urgent-care-plans');
      expect(entry.Source).toBe(eventSource);
      expect(entry.DetailType).toBe(type);
      expect(entry.EventBusName).toBe(BUS);
      expect(typeof entry.Detail).toBe('string');
      expect(entry.Detail).toBe(JSON.stringify(toDetail(event)));
      expect(JSON.parse(entry.Detail)).toEqual(toDetail(event));
      expect(entry.Time).toEqual(new Date(event.at));
      expect(entry.Time.toISOString()).toBe(event.at);
    }
  });
});

describe('published JSON Schemas (events/schemas)', () => {
  const dir = join(import.meta.dirname, '../../../events/schemas');

  it('the files are exactly the catalogue: one per detail-type, no more, no fewer', () => {
    const files = readdirSync(dir).sort();
    expect(files).toEqual(Object.keys(jsonSchemas()).sort());
    expect(files).toEqual(eventTypes.map((t) => `${t}.v1.json`).sort());
  });

  it('each file deep-equals jsonSchemas() (run `npm run events:schemas` after changing catalogue.ts)', () => {
    const schemas = jsonSchemas();
    for (const [file, schema] of Object.entries(schemas)) {
      const onDisk = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      expect(onDisk, `events/schemas/${file} is stale: run npm run events:schemas`).toStrictEqual(schema);
    }
  });

  it('each schema names its detail-type, requires the envelope and is open to new optional fields', () => {
    for (const type of eventTypes) {
      const schema = jsonSchemas()[`${type}.v1.json`] as {
        $id: string;
        required: string[];
        properties: Record<string, unknown>;
        additionalProperties?: unknown;
      };
      expect(schema.$id).toBe(`urn:urgent-care-plans:events:${type}:v1`);
      // Every event is about a patient, but for the registry's own.
      const about = type.startsWith('Organisation.') ? 'ods' : 'nhsNumber';
      expect(schema.required).toEqual(expect.arrayContaining(['eventId', 'version', about]));
      expect(schema.properties.version).toMatchObject({ const: 1 });
      expect(schema.additionalProperties).toBeUndefined();
    }
  });
});
