import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { DomainEvent } from '../../domain/events.ts';
import { toEntry } from '../../events/wire.ts';
import { eventBusName } from '../platform/config.ts';
import { logger } from '../platform/logger.ts';

/** Puts entries on the bus; returns one result per entry, in order (an `ErrorCode` marks a failure). */
export type Publish = (entries: PutEventsRequestEntry[]) => Promise<PutEventsResultEntry[]>;

export type RelayOptions = { maxAttempts: number; baseDelayMs: number; sleep: (ms: number) => Promise<void> };

/** PutEvents takes at most 10 entries a call. */
const maxEntriesPerCall = 10;

const sequenceOf = (record: DynamoDBRecord): string => record.dynamodb?.SequenceNumber ?? '';

const eventsOf = (record: DynamoDBRecord): DomainEvent[] => {
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== 'INSERT' || !image) return [];
  const item = unmarshall(image as Record<string, AttributeValue>);
  return Array.isArray(item.events) ? (item.events as DomainEvent[]) : [];
};

/**
 * The outbox relay: the events carried by each new revision, access and enrolment item go on the
 * bus. Failed entries are retried with backoff; a record whose events still fail is reported as a
 * batch item failure, so the stream delivers it again. At least once: consumers are idempotent on
 * `detail.eventId`. Its log lines carry the invocation's request id.
 */
export const createRelay =
  (publish: Publish, busName: string, options: RelayOptions) =>
  async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> => {
    logger.addContext(context);
    const pending = event.Records.flatMap((record) =>
      eventsOf(record).map((e) => ({ sequence: sequenceOf(record), entry: toEntry(e, busName) })),
    );
    const failedRecords = new Set<string>();
    for (let start = 0; start < pending.length; start += maxEntriesPerCall) {
      let chunk = pending.slice(start, start + maxEntriesPerCall);
      for (let attempt = 1; chunk.length > 0; attempt += 1) {
        const results = await publish(chunk.map((p) => p.entry)).catch((error: unknown) => {
          logger.warn('PutEvents call failed', { error: (error as Error).name, attempt });
          return chunk.map(() => ({ ErrorCode: 'CallFailed' }) as PutEventsResultEntry);
        });
        chunk = chunk.filter((_, i) => results[i]?.ErrorCode !== undefined || results[i] === undefined);
        if (chunk.length === 0) break;
        if (attempt >= options.maxAttempts) {
          for (const p of chunk) failedRecords.add(p.sequence);
          logger.error('events not published after retries', { entries: chunk.length, attempts: attempt });
          break;
        }
        await options.sleep(options.baseDelayMs * 2 ** (attempt - 1));
      }
    }
    const processor = new BatchProcessor(EventType.DynamoDBStreams);
    return processPartialResponse(
      event,
      async (record: DynamoDBRecord) => {
        if (failedRecords.has(sequenceOf(record)))
          throw new Error('events of this record were not published');
      },
      processor,
      { throwOnFullBatchFailure: false },
    );
  };

const eventBridgePublisher = (): Publish => {
  const client = new EventBridgeClient({});
  return async (entries) => (await client.send(new PutEventsCommand({ Entries: entries }))).Entries ?? [];
};

let relay: ReturnType<typeof createRelay> | undefined;
export const handler = async (
  event: DynamoDBStreamEvent,
  context: Context,
): Promise<DynamoDBBatchResponse> => {
  relay ??= createRelay(eventBridgePublisher(), eventBusName(), {
    maxAttempts: 4,
    baseDelayMs: 100,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
  return relay(event, context);
};
