import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { type DomainEvent, raise } from '../../domain/events.ts';

/**
 * DynamoDB stream records as Lambda receives them (NEW_AND_OLD_IMAGES), for the outbox relay
 * tests: an item carrying domain events, marshalled as the stream delivers it.
 */
export const streamRecord = (
  sequenceNumber: string,
  item: Record<string, unknown>,
  eventName: DynamoDBRecord['eventName'] = 'INSERT',
): DynamoDBRecord => ({
  eventID: `event-${sequenceNumber}`,
  eventName,
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'eu-west-2',
  dynamodb: {
    ApproximateCreationDateTime: 1_795_000_000,
    Keys: marshall({ pk: item.pk, sk: item.sk }) as never,
    ...(eventName !== 'REMOVE' && { NewImage: marshall(item, { removeUndefinedValues: true }) as never }),
    ...(eventName !== 'INSERT' && { OldImage: marshall(item, { removeUndefinedValues: true }) as never }),
    SequenceNumber: sequenceNumber,
    SizeBytes: 512,
    StreamViewType: 'NEW_AND_OLD_IMAGES',
  },
  eventSourceARN: 'arn:aws:dynamodb:eu-west-2:123456789012:table/ucp/stream/2026-11-21T00:00:00.000',
});

/** An access item (`ACCESS#`) carrying its events in the outbox `events` attribute. */
export const outboxItem = (events: DomainEvent[], type = 'access'): Record<string, unknown> => ({
  pk: `PATIENT#${(events[0]?.detail as { nhsNumber?: string } | undefined)?.nhsNumber ?? '9434765919'}`,
  sk: `ACCESS#${events[0]?.id ?? 'none'}`,
  type,
  events,
});

/** `count` CarePlan.Accessed events with ids `<prefix>-000`, `<prefix>-001`, ... a second apart. */
export const accessEvents = (prefix: string, count: number, start = 0): DomainEvent[] =>
  Array.from({ length: count }, (_, i) => {
    const n = String(start + i).padStart(3, '0');
    return raise(
      'CarePlan.Accessed',
      {
        nhsNumber: '9434765919',
        accessId: `access-${prefix}-${n}`,
        reader: { id: 'paramedic@RRU', role: 'paramedic', organisation: 'RRU' },
        action: 'read_summary',
        purpose: null,
        breakGlass: false,
      },
      {
        now: new Date(Date.parse('2026-11-21T10:00:00.000Z') + (start + i) * 1000).toISOString(),
        newId: () => `${prefix}-${n}`,
      },
    );
  });
