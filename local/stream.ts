import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { logger } from '../functions/platform/logger.ts';
import { lambdaContext } from './api-gateway.ts';

export type StreamConsumer = (event: DynamoDBStreamEvent, context: Context) => Promise<unknown>;

/**
 * Items the table's stream carries to consumers in AWS: revisions, access records, enrolments,
 * registry entries, carer grants and their revocations.
 */
const streamed = new Set([
  'revision',
  'access',
  'patient',
  'organisationRevision',
  'carerGrant',
  'carerRevocation',
]);

/** A new item as the stream hands it to a consumer: what the consumers read of a record, no more. */
export const insertRecord = (
  item: Record<string, unknown>,
  eventID: string,
  sequence: number,
): DynamoDBRecord => ({
  eventID,
  eventName: 'INSERT',
  eventSource: 'aws:dynamodb',
  dynamodb: {
    SequenceNumber: String(sequence),
    NewImage: marshall(item, { removeUndefinedValues: true }) as never,
    Keys: marshall({ pk: item.pk, sk: item.sk }) as never,
  },
});

/**
 * DynamoDB Streams, on one machine: every committed item of a streamed type is handed, in
 * commit order, to the same consumers the stream feeds in AWS, by name, each delivery an invocation
 * with a request id of its own. A failing consumer is logged and
 * does not undo the write, as in AWS where the stream retries on its own. `settled()` resolves
 * once everything committed so far has been delivered.
 */
export const attachLocalStream = (
  client: DynamoDBDocumentClient,
  consumers: Record<string, StreamConsumer>,
) => {
  let tail: Promise<void> = Promise.resolve();
  let sequence = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const item = (args.input as { Item?: Record<string, unknown> }).Item;
      if (context.commandName === 'PutItemCommand' && item && streamed.has(String(item.type))) {
        sequence += 1;
        const record = insertRecord(item, String(sequence), sequence);
        const delivered = tail.then(async () => {
          for (const [name, consume] of Object.entries(consumers)) {
            await consume({ Records: [record] }, lambdaContext(name)).catch((error: unknown) =>
              logger.error('local stream consumer failed', { consumer: name, error: (error as Error).name }),
            );
          }
        });
        // As in AWS, the answer does not wait for the stream: projections and events follow it.
        tail = delivered;
      }
      return result;
    },
    { step: 'initialize', name: 'localStream' },
  );
  return { settled: () => tail };
};
