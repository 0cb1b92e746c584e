import type { ActorRef } from './actor.ts';
import type { EventType } from './events.ts';
import type { AddressChange, AddressField } from './organisation.ts';

/**
 * Who is told what when a plan changes (the notifications consumer's rules). Pure: the consumer
 * resolves each recipient to an address and sends. A message says only that something happened
 * and where to look: never the NHS number, a name, a section or any clinical content.
 */
export type Recipient =
  /** The organisation's notification address; `attention` is the clinician a plan was submitted to. */
  | { kind: 'organisation'; ods: string; attention?: string }
  /** The privacy officer of an organisation whose staff used break-glass. */
  | { kind: 'privacyOfficer'; ods: string }
  /** The patient's own address, from their profile. */
  | { kind: 'patient'; nhsNumber: string }
  /** An address a registry entry had or now has: the old one is no longer in the registry to look up. */
  | { kind: 'registryAddress'; address: string };
export type RecipientKind = Recipient['kind'];

/** The facts of an event's detail that decide who is told: fields of the wire detail (events/catalogue.ts). */
export type NotificationFacts = {
  eventId: string;
  nhsNumber?: string;
  submittedTo?: { organisation: string; clinician?: string };
  careTeam?: readonly string[];
  /** The organisation that joined or left the care team. */
  organisation?: string;
  reader?: ActorRef;
  breakGlass?: boolean;
  ods?: string;
  updatedBy?: ActorRef;
  addressChanges?: readonly AddressChange[];
};

export type Message = { subject: string; text: string };

const organisations = (careTeam: readonly string[] | undefined): Recipient[] =>
  [...new Set(careTeam ?? [])].map((ods) => ({ kind: 'organisation', ods }));

const patientOf = (detail: NotificationFacts): Recipient[] =>
  detail.nhsNumber ? [{ kind: 'patient', nhsNumber: detail.nhsNumber }] : [];

/**
 * Submitted: the organisation it was sent to (for the attention of the clinician, if named).
 * Ratified and returned: the patient and every care-team organisation. Withdrawn: the care team.
 * An organisation joined or left the care team: that organisation and the patient. A carer's
 * grant given or revoked: the patient.
 * Break-glass access: the privacy officer of the reader's organisation. A registry entry's address
 * changed: the old address and the new one, each once. Anything else: no one.
 */
export const recipientsOf = (type: EventType, detail: NotificationFacts): Recipient[] => {
  switch (type) {
    case 'CarePlan.Submitted': {
      const to = detail.submittedTo;
      if (!to) return [];
      const attention = to.clinician ? oneLine(to.clinician) : '';
      return [{ kind: 'organisation', ods: to.organisation, ...(attention && { attention }) }];
    }
    case 'CarePlan.Ratified':
    case 'CarePlan.Returned':
      return [...patientOf(detail), ...organisations(detail.careTeam)];
    case 'CarePlan.Withdrawn':
      return organisations(detail.careTeam);
    case 'CareTeam.Joined':
    case 'CareTeam.Left':
      return [
        ...(detail.organisation ? [{ kind: 'organisation' as const, ods: detail.organisation }] : []),
        ...patientOf(detail),
      ];
    case 'Carer.Granted':
    case 'Carer.Revoked':
      return patientOf(detail);
    case 'CarePlan.Accessed':
      return detail.breakGlass === true && detail.reader?.organisation
        ? [{ kind: 'privacyOfficer', ods: detail.reader.organisation }]
        : [];
    case 'Organisation.Updated': {
      const addresses = (detail.addressChanges ?? []).flatMap((c) => [c.from, c.to]);
      return [...new Set(addresses.filter((a): a is string => a !== null))].map((address) => ({
        kind: 'registryAddress',
        address,
      }));
    }
    default:
      return [];
  }
};

/** A free-text value on one line, without control characters, at most 100 characters. */
const oneLine = (value: string): string =>
  value
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 100);

const serviceName = 'the Urgent Care Plan service';
const roleName = (role: string): string => role.replaceAll('_', ' ');
const addressUse: Record<AddressField, string> = {
  notificationEmail: "notification address (plans sent to the organisation, changes to its patients' plans)",
  privacyOfficerEmail: 'privacy officer address (break-glass alerts)',
};

/**
 * The message for one recipient of one event: what happened, where to look, and the event's id
 * as the reference. `serviceUrl` is where people sign in.
 */
export const messageFor = (
  type: EventType,
  detail: NotificationFacts,
  recipient: Recipient,
  serviceUrl: string,
): Message => {
  const base = serviceUrl.replace(/\/+$/, '');
  const toPatient = recipient.kind === 'patient';
  const compose = (subject: string, lines: string[]): Message => ({
    subject,
    text: [
      ...lines,
      '',
      `Reference: ${detail.eventId}`,
      '',
      'This message holds no clinical details. Please do not reply to it.',
      '',
    ].join('\n'),
  });

  switch (type) {
    case 'CarePlan.Submitted': {
      const attention = recipient.kind === 'organisation' ? recipient.attention : undefined;
      return compose('Urgent care plan waiting for ratification', [
        'An urgent care plan has been submitted to your organisation for ratification.',
        ...(attention ? [`For the attention of: ${oneLine(attention)}`] : []),
        '',
        `Please sign in to ${serviceName} and open your ratification worklist:`,
        `${base}/worklist/ratifications`,
      ]);
    }
    case 'CarePlan.Ratified':
      return toPatient
        ? compose('Your urgent care plan has been published', [
            'Your urgent care plan has been reviewed by a clinician and published.',
            'It is now shared with the people who look after you, including urgent care services.',
            '',
            `Sign in to ${serviceName} to see it:`,
            base,
          ])
        : compose('Urgent care plan published', [
            'A new version of the urgent care plan of a patient in your care has been ratified and published.',
            '',
            `Sign in to ${serviceName} to see it:`,
            base,
          ]);
    case 'CarePlan.Returned':
      return toPatient
        ? compose('Your urgent care plan has been returned with comments', [
            'The clinician asked to ratify your urgent care plan has returned it with comments.',
            '',
            `Sign in to ${serviceName} to read them and update your plan:`,
            base,
          ])
        : compose('Urgent care plan returned with comments', [
            'An urgent care plan of a patient in your care has been returned to its authors with comments.',
            '',
            `Sign in to ${serviceName} to read them:`,
            base,
          ]);
    case 'CarePlan.Withdrawn':
      return compose('Urgent care plan withdrawn', [
        'The urgent care plan of a patient in your care has been withdrawn and is no longer shared.',
        '',
        `Sign in to ${serviceName} for details:`,
        base,
      ]);
    case 'CareTeam.Joined':
      return toPatient
        ? compose('An organisation has joined your care team', [
            'An organisation has been added to the care team that shares your urgent care plan.',
            'Its staff can now read your plan.',
            '',
            `Sign in to ${serviceName} to see who is in your care team, and to remove an organisation:`,
            base,
          ])
        : compose("A patient's urgent care plan is now shared with your organisation", [
            'Your organisation has been added to the care team of a patient with an urgent care plan.',
            'Your clinical staff can now read the plan.',
            '',
            `Sign in to ${serviceName} and list your organisation's patients to find them:`,
            base,
          ]);
    case 'CareTeam.Left':
      return toPatient
        ? compose('An organisation has left your care team', [
            'An organisation has been removed from the care team that shares your urgent care plan.',
            'Its staff can no longer read your plan.',
            '',
            `Sign in to ${serviceName} to see who is in your care team:`,
            base,
          ])
        : compose("A patient's urgent care plan is no longer shared with your organisation", [
            'Your organisation has been removed from the care team of a patient with an urgent care plan.',
            'Your staff can no longer read the plan.',
            '',
            `Sign in to ${serviceName} for details:`,
            base,
          ]);
    case 'Carer.Granted':
      return compose('Someone may now act for you on your urgent care plan', [
        'A carer has been given access to act for you on your urgent care plan.',
        '',
        `If you did not expect this, sign in to ${serviceName} to see who, and to revoke it:`,
        base,
      ]);
    case 'Carer.Revoked':
      return compose("A carer's access to your urgent care plan has ended", [
        "A carer's access to act for you on your urgent care plan has been revoked.",
        '',
        `Sign in to ${serviceName} to see who may act for you:`,
        base,
      ]);
    case 'CarePlan.Accessed': {
      const role = detail.reader?.role;
      return compose('Break-glass access to an urgent care plan', [
        `A member of your organisation's staff${role ? ` (role: ${roleName(role)})` : ''} used break-glass`,
        "(emergency) access to read a patient's urgent care plan. The access and the reason given are",
        "in your organisation's break-glass reports, under the reference below.",
        '',
        `Please review it in ${serviceName}:`,
        `${base}/break-glass-reports`,
      ]);
    }
    case 'Organisation.Updated': {
      const ods = oneLine(detail.ods ?? '');
      const by = detail.updatedBy;
      const who = by
        ? `${oneLine(by.id)}, ${by.organisation ? `admin of ${oneLine(by.organisation)}` : 'a service administrator'}`
        : 'an administrator';
      return compose(`Urgent care plan alerts for ${ods}: address changed`, [
        `The registry entry of organisation ${ods} in ${serviceName} was changed by ${who}:`,
        '',
        ...(detail.addressChanges ?? []).map(
          (c) => `- ${addressUse[c.field]}: ${c.from ?? '(none)'} -> ${c.to ?? '(none)'}`,
        ),
        '',
        'From now on these alerts go to the address after each arrow. If this change was not expected,',
        "tell your organisation's admin or the service desk at once, and review the entry in",
        `${serviceName}:`,
        `${base}/organisations/${ods}`,
      ]);
    }
    default:
      throw new Error(`no notification is sent for ${type}`);
  }
};
