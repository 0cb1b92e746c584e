/**
 * Every event and stream consumer and its Lambda entry: the CDK stack builds one function per
 * entry, the local runtime loads the same modules.
 */
export const consumerFunctions = {
  /** DynamoDB stream -> EventBridge: the outbox relay. */
  relay: 'functions/consumers/relay.ts',
  /** DynamoDB stream -> worklist and care-team items. */
  projections: 'functions/consumers/projections.ts',
  /** EventBridge -> email through SES. */
  notifications: 'functions/consumers/notifications.ts',
  /** EventBridge -> S3 audit archive. */
  auditArchive: 'functions/consumers/audit-archive.ts',
} as const;
export type ConsumerName = keyof typeof consumerFunctions;

/** Which consumers the table's stream feeds (the rest subscribe to the bus, see events/subscriptions.ts). */
export const streamConsumers: readonly ConsumerName[] = ['relay', 'projections'];
