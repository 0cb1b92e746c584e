import type { Context, EventBridgeEvent } from 'aws-lambda';
import type { EventType } from '../../domain/events.ts';
import {
  messageFor,
  type NotificationFacts,
  type Recipient,
  type RecipientKind,
  recipientsOf,
} from '../../domain/notifications.ts';
import type { OrganisationEntry } from '../../domain/organisation.ts';
import { detailSchemas } from '../../events/catalogue.ts';
import { eventSource } from '../../events/source.ts';
import { deliveries, organisations, patients } from '../platform/composition-root.ts';
import { senderAddress, serviceUrl } from '../platform/config.ts';
import { logger } from '../platform/logger.ts';
import { type Mailer, sesMailer } from '../platform/mailer.ts';
import type { Deliveries, Organisations, Patients } from '../platform/ports.ts';

export type NotificationDependencies = {
  mailer: Mailer;
  /** Where people sign in: the messages point there. */
  serviceUrl: string;
  organisations: Pick<Organisations, 'get'>;
  patients: Pick<Patients, 'get'>;
  deliveries: Deliveries;
};

/** The detail does not match the catalogue schema of its detail-type: retrying will not help. */
export class InvalidEventDetail extends Error {
  override name = 'InvalidEventDetail';
}

/** Some messages of an event were not sent; their claims were given back, so a redelivery sends them. */
export class NotificationsNotSent extends Error {
  override name = 'NotificationsNotSent';
}

const isEventType = (type: string): type is EventType => Object.hasOwn(detailSchemas, type);

const countBy = (kinds: RecipientKind[]): Partial<Record<RecipientKind, number>> =>
  kinds.reduce<Partial<Record<RecipientKind, number>>>((counts, kind) => {
    counts[kind] = (counts[kind] ?? 0) + 1;
    return counts;
  }, {});

/**
 * The notifications consumer (an EventBridge target): who is told is decided by the domain
 * (domain/notifications.ts); each recipient is resolved to an address (the organisation
 * registry, the patient's profile, or the event itself for a registry address change) and sent at most once per event and address: a delivery
 * record is claimed first, and given back if sending fails, so EventBridge's retry sends it.
 * Logs carry the invocation's request id, the event id, its type, recipient kinds and counts:
 * never an NHS number, a name or an address.
 */
export const createNotificationHandler = ({
  mailer,
  serviceUrl,
  organisations: registry,
  patients,
  deliveries,
}: NotificationDependencies) => {
  return async (
    event: EventBridgeEvent<string, Record<string, unknown>>,
    context: Context,
  ): Promise<void> => {
    logger.addContext(context);
    const type = event['detail-type'];
    if (event.source !== eventSource || !isEventType(type)) {
      logger.warn('event ignored: not one of ours', { id: event.id, type });
      return;
    }
    const parsed = detailSchemas[type].safeParse(event.detail);
    if (!parsed.success) {
      const paths = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(detail)'))];
      logger.error('event detail does not match the catalogue', { id: event.id, type, paths });
      throw new InvalidEventDetail(`the detail of ${type} does not match its schema at ${paths.join(', ')}`);
    }
    const facts = parsed.data as NotificationFacts;
    const eventId = facts.eventId;
    const recipients = recipientsOf(type, facts);
    if (recipients.length === 0) {
      logger.debug('no one to notify', { eventId, type });
      return;
    }

    const organisations = new Map<string, Promise<OrganisationEntry | null>>();
    const organisation = (ods: string) => {
      let record = organisations.get(ods);
      if (!record) {
        record = registry.get(ods);
        organisations.set(ods, record);
      }
      return record;
    };
    const addressOf = async (recipient: Recipient): Promise<string | undefined> => {
      switch (recipient.kind) {
        case 'organisation':
          return (await organisation(recipient.ods))?.organisation.notificationEmail;
        case 'privacyOfficer':
          return (await organisation(recipient.ods))?.organisation.privacyOfficerEmail;
        case 'patient':
          return (await patients.get(recipient.nhsNumber))?.profile.email;
        case 'registryAddress':
          return recipient.address;
      }
    };
    const resolved = await Promise.all(
      recipients.map(async (recipient) => ({ recipient, address: await addressOf(recipient) })),
    );
    const withoutAddress = resolved.filter((r) => !r.address).map((r) => r.recipient.kind);
    // One message per address, even when two recipients share one.
    const seen = new Set<string>();
    const targets = resolved.flatMap(({ recipient, address }) => {
      if (!address || seen.has(address.toLowerCase())) return [];
      seen.add(address.toLowerCase());
      return [{ recipient, address, message: messageFor(type, facts, recipient, serviceUrl) }];
    });

    const deliver = async ({ recipient, address, message }: (typeof targets)[number]) => {
      const claim = await deliveries.claimDelivery(eventId, address);
      if (claim === 'alreadySent') return 'alreadySent' as const;
      // Another delivery of this event is sending it: fail this one, so it is retried once that settles.
      if (claim === 'inFlight') throw new Error('this message is being sent by another delivery');
      try {
        await mailer({ to: address, ...message, reference: eventId });
      } catch (error) {
        logger.error('notification not sent', {
          eventId,
          type,
          recipient: recipient.kind,
          error: (error as Error).name,
        });
        await deliveries.releaseDelivery(eventId, address).catch((releaseError: unknown) =>
          logger.error('delivery claim not released: a redelivery will not send this message', {
            eventId,
            type,
            recipient: recipient.kind,
            error: (releaseError as Error).name,
          }),
        );
        throw error;
      }
      // Sent: if this record is lost, a redelivery after the claim lapses sends it again, once more
      // at worst; an alert sent twice is better than one never sent.
      await deliveries.markDelivered(eventId, address).catch((markError: unknown) =>
        logger.error('delivery not recorded as sent', {
          eventId,
          type,
          recipient: recipient.kind,
          error: (markError as Error).name,
        }),
      );
      return 'sent' as const;
    };
    const outcomes = await Promise.allSettled(targets.map(deliver));
    const of = (outcome: 'sent' | 'alreadySent') =>
      outcomes.filter((o) => o.status === 'fulfilled' && o.value === outcome).length;
    const failed = outcomes.filter((o) => o.status === 'rejected').length;
    logger.info('notifications delivered', {
      eventId,
      type,
      recipients: countBy(recipients.map((r) => r.kind)),
      sent: of('sent'),
      alreadySent: of('alreadySent'),
      failed,
      ...(withoutAddress.length > 0 && { withoutAddress: countBy(withoutAddress) }),
    });
    // The error names no recipient: the runtime logs its message.
    if (failed > 0) {
      throw new NotificationsNotSent(
        `${failed} of ${targets.length} notifications of event ${eventId} not sent`,
      );
    }
  };
};

let notify: ReturnType<typeof createNotificationHandler> | undefined;

/** The Lambda entry: SES, from SENDER_ADDRESS, pointing people to SERVICE_URL. */
export const handler = async (
  event: EventBridgeEvent<string, Record<string, unknown>>,
  context: Context,
): Promise<void> => {
  notify ??= createNotificationHandler({
    mailer: sesMailer(senderAddress()),
    serviceUrl: serviceUrl(),
    organisations: organisations(),
    patients: patients(),
    deliveries: deliveries(),
  });
  return notify(event, context);
};
