import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Deliveries } from '../ports.ts';
import { keys, table } from '../table.ts';

/** How long a delivery record is kept: longer than any redelivery (EventBridge retries for 24 hours). */
const deliveryRetentionSeconds = 90 * 24 * 60 * 60;

/** Delivery records key on a hash of the address: the table never holds it in a key. */
const addressHash = (address: string): string =>
  createHash('sha256').update(address.trim().toLowerCase()).digest('hex');

/** `DELIVERY#<eventId>` / `TO#<sha256 of the address>`: at most one message per event and address. */
export const dynamoDeliveries = (client: DynamoDBDocumentClient, tableName: string): Deliveries => ({
  /**
   * Claims the sending of one event's message to one address, for a while: the claim lapses
   * after `deliveryLeaseMs`, so a send cut short (a timeout, a crash) is tried again, while a
   * message recorded as sent never is. Answers whether to send now, or what stops it. The
   * record keeps a hash of the address, never the address, and expires after 90 days.
   */
  async claimDelivery(eventId, address, at = new Date()) {
    const key = { pk: keys.delivery(eventId), sk: keys.deliveryTo(addressHash(address)) };
    try {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...key,
            type: 'delivery',
            eventId,
            state: 'sending',
            claimedAt: at.toISOString(),
            leaseUntil: at.getTime() + deliveryLeaseMs,
            [table.timeToLive]: Math.floor(at.getTime() / 1000) + deliveryRetentionSeconds,
          },
          ConditionExpression: 'attribute_not_exists(sk) OR (#state = :sending AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':sending': 'sending', ':now': at.getTime() },
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
      );
      return Item?.state === 'sent' ? 'alreadySent' : 'inFlight';
    }
  },

  /** Records the message as sent: no redelivery of the event sends it again. */
  async markDelivered(eventId, address, at = new Date()) {
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: keys.delivery(eventId),
          sk: keys.deliveryTo(addressHash(address)),
          type: 'delivery',
          eventId,
          state: 'sent',
          sentAt: at.toISOString(),
          [table.timeToLive]: Math.floor(at.getTime() / 1000) + deliveryRetentionSeconds,
        },
      }),
    );
  },

  async releaseDelivery(eventId, address) {
    await client.send(
      new DeleteCommand({
        TableName: tableName,
        Key: { pk: keys.delivery(eventId), sk: keys.deliveryTo(addressHash(address)) },
      }),
    );
  },
});

/** Longer than the notifications function may run (60 s), so a live send is never claimed twice. */
const deliveryLeaseMs = 90_000;
