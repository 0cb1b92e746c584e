import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { keys, table } from './table.ts';

/** How long a delivery record is kept: longer than any redelivery (EventBridge retries for 24 hours). */
const deliveryRetentionSeconds = 90 * 24 * 60 * 60;

/** Delivery records key on a hash of the address: the table never holds it in a key. */
const addressHash = (address: string): string =>
  createHash('sha256').update(address.trim().toLowerCase()).digest('hex');

/**
 * Delivery records, apart from the repository: at most one message per event and address, for
 * the notifications consumer alone.
 */
export const createDeliveries = (client: DynamoDBDocumentClient, tableName: string) => ({
  /**
   * Claims the sending of one event's message to one address, for a while: the claim lapses
   * after `deliveryLeaseMs`, so a send cut short (a timeout, a crash) is tried again, while a
   * message recorded as sent never is. Answers whether to send now, or what stops it. The
   * record keeps a hash of the address, never the address, and expires after 90 days.
   */
  async claimDelivery(eventId: string, address: string, at: Date = new Date()): Promise<DeliveryClaim> {
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
  async markDelivered(eventId: string, address: string, at: Date = new Date()): Promise<void> {
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

  async releaseDelivery(eventId: string, address: string): Promise<void> {
    await client.send(
      new DeleteCommand({
        TableName: tableName,
        Key: { pk: keys.delivery(eventId), sk: keys.deliveryTo(addressHash(address)) },
      }),
    );
  },
});

/** `claimed`: send it now. `alreadySent`: a delivery did. `inFlight`: another delivery is sending it. */
export type DeliveryClaim = 'claimed' | 'alreadySent' | 'inFlight';

/** Longer than the notifications function may run (60 s), so a live send is never claimed twice. */
const deliveryLeaseMs = 90_000;

export type Deliveries = ReturnType<typeof createDeliveries>;
