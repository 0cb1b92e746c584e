import { describe, expect, it } from 'vitest';
import type { ActorRef } from '../../../domain/actor.ts';
import type { EventType } from '../../../domain/events.ts';
import {
  type Message,
  messageFor,
  type NotificationFacts,
  type Recipient,
  recipientsOf,
} from '../../../domain/notifications.ts';
import {
  AMBULANCE,
  CARE_HOME,
  clinicalStrings,
  GP_PRACTICE,
  HOSPICE,
  NHS,
  OTHER_PRACTICE,
} from './fixtures.ts';

const SERVICE = 'https://ucp.example.nhs.uk';
const EVENT_ID = '01JD8X3Q7ZK4V5N6P7R8S9T0AB';
const gpRef: ActorRef = { id: 'dr.patel@A81001', role: 'gp', organisation: GP_PRACTICE };
const nurseRef: ActorRef = { id: 'nurse.jones@H12345', role: 'nurse', organisation: HOSPICE };
const reader: ActorRef = { id: 'sw.smith@B82002', role: 'social_worker', organisation: OTHER_PRACTICE };
const adminRef: ActorRef = { id: 'admin.jones', role: 'admin', organisation: GP_PRACTICE };

/** Wire details (events/catalogue.ts) for every event type, with clinical-looking extras that must never leak. */
const details: Record<EventType, NotificationFacts & Record<string, unknown>> = {
  'Patient.Enrolled': {
    eventId: EVENT_ID,
    version: 1,
    nhsNumber: NHS,
    gpPractice: GP_PRACTICE,
    enrolledBy: gpRef,
  },
  'CarePlan.Created': {
    eventId: EVENT_ID,
    version: 1,
    nhsNumber: NHS,
    revision: 1,
    createdBy: nurseRef,
    sections: ['cpr', 'treatment'],
  },
  'CarePlan.DraftUpdated': {
    eventId: EVENT_ID,
    version: 1,
    nhsNumber: NHS,
    revision: 2,
    updatedBy: nurseRef,
    sections: ['clinical'],
  },
  'CarePlan.Submitted': {
    eventId: EVENT_ID,
    version: 1,
    nhsNumber: NHS,
    revision: 3,
    submittedBy: nurseRef,
    submittedTo: { organisation: GP_PRACTICE, clinician: 'dr.patel' },
  },
  'CarePlan.Ratified': {
    eventId: EVENT_ID,
    version: 1,
    nhsNumber: NHS,
    revision: 4,
    planVersion: 2,
    ratifiedBy: gpRef,
    careTeam: [GP_PRACTICE, HOSPICE, CARE_HOME],
  },
  'CarePlan.Published': {
    eventId: EVENT_ID,
    version: 1,
    nhsNumber: NHS,
    revision: 4,
    planVersion: 1,
    pointer: { id: `${NHS}-v1`, custodian: 'UCP01', url: `${SERVICE}/patients/${NHS}/plan/fhir?version=1` },
    replaces: null,
  },
  'CarePlan.Unpublished': {
    eventId: EVENT_ID,
    version: 1,
    nhsNumber: NHS,
    revision: 6,
    planVersion: 1,
    pointerId: `${NHS}-v1`,
    reason: 'withdrawn',
  },
  'CarePlan.Returned': {
    eventId: EVENT_ID,
    version: 1,
    nhsNumber: NHS,
    revision: 5,
    returnedBy: gpRef,
    submittedBy: nurseRef,
    careTeam: [GP_PRACTICE, HOSPICE, GP_PRACTICE],
  },
  'CarePlan.Withdrawn': {
    eventId: EVENT_ID,
    version: 1,
    nhsNumber: NHS,
    revision: 6,
    withdrawnBy: gpRef,
    careTeam: [GP_PRACTICE, HOSPICE],
  },
  'Patient.Died': {
    eventId: EVENT_ID,
    version: 1,
    nhsNumber: NHS,
    revision: 7,
    recordedBy: gpRef,
    date: '2026-11-20',
    place: 'home',
    diedInPreferredPlace: true,
  },
  'CarePlan.Accessed': {
    eventId: EVENT_ID,
    version: 1,
    nhsNumber: NHS,
    accessId: 'acc-1',
    reader,
    action: 'read_plan',
    purpose: 'patient collapsed at day centre',
    breakGlass: true,
  },
  'CareTeam.Joined': {
    eventId: EVENT_ID,
    version: 1,
    nhsNumber: NHS,
    revision: 8,
    organisation: HOSPICE,
    addedBy: gpRef,
  },
  'CareTeam.Left': {
    eventId: EVENT_ID,
    version: 1,
    nhsNumber: NHS,
    revision: 9,
    organisation: CARE_HOME,
    removedBy: gpRef,
  },
  'Carer.Granted': {
    eventId: EVENT_ID,
    version: 1,
    nhsNumber: NHS,
    grantId: '1',
    access: 'co-author',
    legalBasis: 'patient-consent',
    until: '2027-06-01',
    grantedBy: { id: 'patient-1', role: 'patient' },
  },
  'Carer.Revoked': {
    eventId: EVENT_ID,
    version: 1,
    nhsNumber: NHS,
    grantId: '1',
    revokedBy: { id: 'carer-1', role: 'carer' },
  },
  'Session.Launched': {
    eventId: EVENT_ID,
    version: 1,
    nhsNumber: NHS,
    accessId: 'acc-2',
    user: { ...gpRef, via: 'demo-emis' },
    hostSystem: 'demo-emis',
    hostRole: 'R8000',
    sessionId: 'session-1',
    expiresAt: '2026-11-20T10:15:00.000Z',
  },
  'Organisation.Updated': {
    eventId: EVENT_ID,
    version: 1,
    ods: GP_PRACTICE,
    revision: 3,
    updatedBy: adminRef,
    changedFields: ['notificationEmail', 'privacyOfficerEmail'],
    addressChanges: [
      { field: 'notificationEmail', from: 'old.inbox@nhs.net', to: 'new.inbox@nhs.net' },
      { field: 'privacyOfficerEmail', from: null, to: 'ig.riverside@nhs.net' },
    ],
  },
};

const expected: Record<EventType, Recipient[]> = {
  'Patient.Enrolled': [],
  'Session.Launched': [],
  'CarePlan.Created': [],
  'CarePlan.DraftUpdated': [],
  'CarePlan.Submitted': [{ kind: 'organisation', ods: GP_PRACTICE, attention: 'dr.patel' }],
  'CarePlan.Ratified': [
    { kind: 'patient', nhsNumber: NHS },
    { kind: 'organisation', ods: GP_PRACTICE },
    { kind: 'organisation', ods: HOSPICE },
    { kind: 'organisation', ods: CARE_HOME },
  ],
  'CarePlan.Published': [],
  'CarePlan.Unpublished': [],
  'CarePlan.Returned': [
    { kind: 'patient', nhsNumber: NHS },
    { kind: 'organisation', ods: GP_PRACTICE },
    { kind: 'organisation', ods: HOSPICE },
  ],
  'CarePlan.Withdrawn': [
    { kind: 'organisation', ods: GP_PRACTICE },
    { kind: 'organisation', ods: HOSPICE },
  ],
  'Patient.Died': [],
  'CarePlan.Accessed': [{ kind: 'privacyOfficer', ods: OTHER_PRACTICE }],
  'CareTeam.Joined': [
    { kind: 'organisation', ods: HOSPICE },
    { kind: 'patient', nhsNumber: NHS },
  ],
  'CareTeam.Left': [
    { kind: 'organisation', ods: CARE_HOME },
    { kind: 'patient', nhsNumber: NHS },
  ],
  'Carer.Granted': [{ kind: 'patient', nhsNumber: NHS }],
  'Carer.Revoked': [{ kind: 'patient', nhsNumber: NHS }],
  'Organisation.Updated': [
    { kind: 'registryAddress', address: 'old.inbox@nhs.net' },
    { kind: 'registryAddress', address: 'new.inbox@nhs.net' },
    { kind: 'registryAddress', address: 'ig.riverside@nhs.net' },
  ],
};

const eventTypes = Object.keys(details) as EventType[];
const notified = eventTypes.filter((type) => expected[type].length > 0);

/** Every (event, recipient) message. */
const allMessages = (serviceUrl = SERVICE) =>
  notified.flatMap((type) =>
    recipientsOf(type, details[type]).map((recipient) => ({
      type,
      recipient,
      message: messageFor(type, details[type], recipient, serviceUrl),
    })),
  );

describe('recipientsOf', () => {
  it.each(eventTypes)('%s: the right people, each once', (type) => {
    expect(recipientsOf(type, details[type])).toEqual(expected[type]);
  });

  it('submitted without a named clinician: the organisation, with no one for its attention', () => {
    const detail = { ...details['CarePlan.Submitted'], submittedTo: { organisation: HOSPICE } };
    expect(recipientsOf('CarePlan.Submitted', detail)).toEqual([{ kind: 'organisation', ods: HOSPICE }]);
  });

  it('submitted: the clinician is put on one line, without control characters', () => {
    const detail = {
      ...details['CarePlan.Submitted'],
      submittedTo: { organisation: GP_PRACTICE, clinician: 'dr.patel\r\nBcc: someone@example.org' },
    };
    const [recipient] = recipientsOf('CarePlan.Submitted', detail);
    expect(recipient).toEqual({
      kind: 'organisation',
      ods: GP_PRACTICE,
      attention: 'dr.patel Bcc: someone@example.org',
    });
  });

  it('ratified, returned and withdrawn: every care-team organisation once, however often it is listed', () => {
    const careTeam = [HOSPICE, GP_PRACTICE, HOSPICE, AMBULANCE, GP_PRACTICE];
    for (const type of ['CarePlan.Ratified', 'CarePlan.Returned', 'CarePlan.Withdrawn'] as const) {
      const organisations = recipientsOf(type, { ...details[type], careTeam })
        .filter((r) => r.kind === 'organisation')
        .map((r) => r.ods);
      expect(organisations).toEqual([HOSPICE, GP_PRACTICE, AMBULANCE]);
    }
  });

  it('withdrawn: the care team only, not the patient', () => {
    expect(recipientsOf('CarePlan.Withdrawn', details['CarePlan.Withdrawn']).map((r) => r.kind)).toEqual([
      'organisation',
      'organisation',
    ]);
  });

  it('access without break-glass: no one', () => {
    expect(recipientsOf('CarePlan.Accessed', { ...details['CarePlan.Accessed'], breakGlass: false })).toEqual(
      [],
    );
  });

  it('a registry entry changed without an address change: no one', () => {
    const detail = { ...details['Organisation.Updated'], changedFields: ['name'], addressChanges: [] };
    expect(recipientsOf('Organisation.Updated', detail)).toEqual([]);
  });

  it('a registry address moved from one field to the other: each address once', () => {
    const detail = {
      ...details['Organisation.Updated'],
      addressChanges: [
        { field: 'notificationEmail' as const, from: 'one@nhs.net', to: 'two@nhs.net' },
        { field: 'privacyOfficerEmail' as const, from: 'two@nhs.net', to: 'one@nhs.net' },
      ],
    };
    expect(recipientsOf('Organisation.Updated', detail)).toEqual([
      { kind: 'registryAddress', address: 'one@nhs.net' },
      { kind: 'registryAddress', address: 'two@nhs.net' },
    ]);
  });

  it('break-glass by a reader with no organisation: no one to tell', () => {
    const detail = { ...details['CarePlan.Accessed'], reader: { id: 'x', role: 'nurse' as const } };
    expect(recipientsOf('CarePlan.Accessed', detail)).toEqual([]);
  });
});

describe('messageFor', () => {
  it('covers every notified event type and recipient kind', () => {
    const pairs = new Set(allMessages().map(({ type, recipient }) => `${type} ${recipient.kind}`));
    expect([...pairs].sort()).toEqual([
      'CarePlan.Accessed privacyOfficer',
      'CarePlan.Ratified organisation',
      'CarePlan.Ratified patient',
      'CarePlan.Returned organisation',
      'CarePlan.Returned patient',
      'CarePlan.Submitted organisation',
      'CarePlan.Withdrawn organisation',
      'CareTeam.Joined organisation',
      'CareTeam.Joined patient',
      'CareTeam.Left organisation',
      'CareTeam.Left patient',
      'Carer.Granted patient',
      'Carer.Revoked patient',
      'Organisation.Updated registryAddress',
    ]);
  });

  it.each(allMessages())(
    '$type to $recipient.kind: says where to look and gives the event id',
    ({ message }) => {
      expect(message.subject.length).toBeGreaterThan(0);
      expect(message.subject).not.toMatch(/[\r\n]/);
      expect(message.text).toContain(SERVICE);
      expect(message.text).toContain(`Reference: ${EVENT_ID}`);
    },
  );

  it('submitted: points to the ratification worklist, for the attention of the named clinician', () => {
    const detail = details['CarePlan.Submitted'];
    const [recipient] = recipientsOf('CarePlan.Submitted', detail);
    const message = messageFor('CarePlan.Submitted', detail, recipient as Recipient, `${SERVICE}/`);
    expect(message.text).toContain(`${SERVICE}/worklist/ratifications`);
    expect(message.text).not.toContain('//worklist');
    expect(message.text).toContain('For the attention of: dr.patel');
    expect(message.subject).toBe('Urgent care plan waiting for ratification');
  });

  it('speaks to the patient as "your plan", and to organisations of "a patient in your care"', () => {
    const ratified = details['CarePlan.Ratified'];
    const toPatient = messageFor('CarePlan.Ratified', ratified, { kind: 'patient', nhsNumber: NHS }, SERVICE);
    const toTeam = messageFor('CarePlan.Ratified', ratified, { kind: 'organisation', ods: HOSPICE }, SERVICE);
    expect(toPatient.subject).toBe('Your urgent care plan has been published');
    expect(toPatient.text).toContain('Your urgent care plan');
    expect(toTeam.text).toContain('a patient in your care');
    const returned = messageFor(
      'CarePlan.Returned',
      details['CarePlan.Returned'],
      { kind: 'patient', nhsNumber: NHS },
      SERVICE,
    );
    expect(returned.subject).toBe('Your urgent care plan has been returned with comments');
  });

  it('break-glass: names the role of the reader, not the reader', () => {
    const detail = details['CarePlan.Accessed'];
    const message = messageFor(
      'CarePlan.Accessed',
      detail,
      { kind: 'privacyOfficer', ods: OTHER_PRACTICE },
      SERVICE,
    );
    expect(message.subject).toBe('Break-glass access to an urgent care plan');
    expect(message.text).toContain('role: social worker');
    expect(message.text).not.toContain(reader.id);
    expect(message.text).not.toContain(detail.purpose as string);
  });

  it('registry address changed: which organisation, which addresses from and to, by whom', () => {
    const detail = details['Organisation.Updated'];
    const message = messageFor(
      'Organisation.Updated',
      detail,
      { kind: 'registryAddress', address: 'old.inbox@nhs.net' },
      SERVICE,
    );
    expect(message.subject).toBe(`Urgent care plan alerts for ${GP_PRACTICE}: address changed`);
    expect(message.text).toContain(`organisation ${GP_PRACTICE}`);
    expect(message.text).toContain('old.inbox@nhs.net -> new.inbox@nhs.net');
    expect(message.text).toContain('(none) -> ig.riverside@nhs.net');
    expect(message.text).toContain(`changed by admin.jones, admin of ${GP_PRACTICE}`);
    expect(message.text).toContain(`${SERVICE}/organisations/${GP_PRACTICE}`);
    const byServiceAdmin = messageFor(
      'Organisation.Updated',
      { ...detail, updatedBy: { id: 'ops.lead', role: 'admin' } },
      { kind: 'registryAddress', address: 'new.inbox@nhs.net' },
      SERVICE,
    );
    expect(byServiceAdmin.text).toContain('changed by ops.lead, a service administrator');
  });

  it('registry address changed: the same message to the old address and the new one', () => {
    const detail = details['Organisation.Updated'];
    const [first, ...rest] = recipientsOf('Organisation.Updated', detail).map((r) =>
      messageFor('Organisation.Updated', detail, r, SERVICE),
    );
    for (const message of rest) expect(message).toEqual(first);
  });

  // A registry change names the admin who made it (that is its point); a message about a patient names no one.
  it('never carries the NHS number, a name, a section, a staff id or any clinical content', () => {
    const forbidden = [
      NHS,
      '943 476 5919',
      '943 476 59',
      'Ada',
      'Byron',
      gpRef.id,
      nurseRef.id,
      reader.id,
      'patient collapsed',
      'planVersion',
      ...clinicalStrings,
    ];
    const sectionWords = /\b(cpr|treatment|preferences|aboutMe|legal|contacts|personal|consent)\b/i;
    for (const { message } of allMessages().filter(({ type }) => type !== 'Organisation.Updated')) {
      const all = `${message.subject}\n${message.text}`;
      for (const needle of forbidden) expect(all).not.toContain(needle);
      expect(all).not.toMatch(sectionWords);
      expect(all).not.toMatch(/\d{10}/);
    }
  });

  it('is the same message for the same event and recipient', () => {
    const once = allMessages();
    const again = allMessages();
    expect(again.map((m) => m.message)).toEqual(once.map((m) => m.message) satisfies Message[]);
  });

  it.each(eventTypes.filter((type) => !notified.includes(type)))('%s: no message exists', (type) => {
    expect(() =>
      messageFor(type, details[type], { kind: 'organisation', ods: GP_PRACTICE }, SERVICE),
    ).toThrow(/no notification/);
  });
});
