import type { DomainEvent, EventDetails, EventType } from '../domain/events.ts';
import type { EventDetail } from './catalogue.ts';
import { eventSource } from './source.ts';

// Domain events on the wire, for the relay: kept apart from the catalogue's schemas so the relay's
// bundle carries no validation library.

/**
 * The wire detail of a domain event. `detail.version` is the schema version, so the plan's
 * published version travels as `planVersion`.
 */
export const toDetail = <T extends EventType>(event: DomainEvent<T>): EventDetail<T> => {
  const { version: planVersion, ...rest } = event.detail as EventDetails[T] & { version?: number };
  return {
    eventId: event.id,
    version: 1,
    ...rest,
    ...(planVersion !== undefined && { planVersion }),
  } as EventDetail<T>;
};

/** A PutEvents entry for a domain event. */
export const toEntry = (event: DomainEvent, eventBusName: string) => ({
  Source: eventSource,
  DetailType: event.type,
  Detail: JSON.stringify(toDetail(event)),
  Time: new Date(event.at),
  EventBusName: eventBusName,
});
