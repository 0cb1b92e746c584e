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
  /** EventBridge schedule (daily) -> review reminders by email through SES. */
  reminders: 'functions/consumers/reminders.ts',
} as const;
export type ConsumerName = keyof typeof consumerFunctions;

/** Which consumers the table's stream feeds (the rest subscribe to the bus, see events/subscriptions.ts). */
export const streamConsumers: readonly ConsumerName[] = ['relay', 'projections'];

/**
 * Consumers run on a schedule: one EventBridge rule each in AWS (a cron expression in UTC), a timer
 * under `npm start`. The reminders are idempotent, so a run repeated or missed changes nothing.
 */
export const schedules = [
  {
    id: 'DailyReviewReminders',
    consumer: 'reminders',
    description: 'Review reminders, daily at 07:00 UTC (08:00 in British Summer Time)',
    cron: { minute: '0', hour: '7' },
  },
] as const satisfies readonly {
  id: string;
  consumer: ConsumerName;
  description: string;
  cron: { minute: string; hour: string };
}[];
