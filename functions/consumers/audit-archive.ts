import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { auditBucket } from '../platform/config.ts';
import { logger } from '../platform/logger.ts';
import { s3Client } from '../platform/s3.ts';

export type ArchivedEvent = EventBridgeEvent<string, { eventId: string } & Record<string, unknown>>;

/** `audit/YYYY/MM/DD/<event id>.json`, by the time the event happened: one object per event. */
export const archiveKey = (event: ArchivedEvent): string => {
  const day = event.time.slice(0, 10).replaceAll('-', '/');
  return `audit/${day}/${event.detail.eventId}.json`;
};

/**
 * Writes every event, exactly as the bus delivered it, to the audit bucket (Object Lock keeps it).
 * Idempotent by key: a redelivery finds the object there and writes nothing. Its log lines carry
 * the invocation's request id.
 */
export const createAuditArchive =
  (client: S3Client, bucket: string) =>
  async (event: ArchivedEvent, context: Context): Promise<void> => {
    logger.addContext(context);
    const key = archiveKey(event);
    try {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify(event),
          ContentType: 'application/json',
          IfNoneMatch: '*',
        }),
      );
    } catch (error) {
      // 412: an earlier delivery archived it. Anything else (409 included: a concurrent write may
      // yet fail) is thrown, so EventBridge delivers the event again.
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412) return;
      throw error;
    }
    logger.info('event archived', { eventId: event.detail.eventId, type: event['detail-type'] });
  };

let archive: ReturnType<typeof createAuditArchive> | undefined;
export const handler = async (event: ArchivedEvent, context: Context): Promise<void> => {
  archive ??= createAuditArchive(s3Client(), auditBucket());
  return archive(event, context);
};
