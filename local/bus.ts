import { randomUUID } from 'node:crypto';
import type { PutEventsRequestEntry, PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { type Subscription, subscriptions } from '../events/subscriptions.ts';
import type { Publish } from '../functions/consumers/relay.ts';
import { logger } from '../functions/platform/logger.ts';
import { lambdaContext } from './api-gateway.ts';

type Target = (event: EventBridgeEvent<string, never>, context: Context) => Promise<unknown>;

/** EventBridge's exact-value matching: an array field in the event matches when any of its values does. */
const matchesValue = (allowed: readonly unknown[], value: unknown): boolean =>
  Array.isArray(value) ? value.some((v) => allowed.includes(v)) : allowed.includes(value);

/** EventBridge pattern matching, for the subset of patterns events/subscriptions.ts uses. */
export const matches = (
  pattern: Subscription['pattern'],
  event: EventBridgeEvent<string, Record<string, unknown>>,
) =>
  pattern.source.includes(event.source as never) &&
  pattern['detail-type'].includes(event['detail-type'] as never) &&
  Object.entries(pattern.detail ?? {}).every(([field, allowed]) =>
    matchesValue(allowed, event.detail[field]),
  );

/**
 * The event bus, in-process: each entry becomes the event EventBridge would deliver and goes to
 * every consumer whose subscription matches, as the CDK stack's rules route it in AWS, each
 * delivery an invocation with a request id of its own. A consumer
 * that fails is logged; EventBridge would retry it and then dead-letter it.
 */
export const createLocalBus = (
  /** By consumer name; a test may give only the consumers it watches. */
  targets: Partial<Record<Subscription['consumer'], Target>>,
): Publish => {
  return async (entries: PutEventsRequestEntry[]): Promise<PutEventsResultEntry[]> => {
    const results: PutEventsResultEntry[] = [];
    for (const entry of entries) {
      const event = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType ?? '',
        source: entry.Source ?? '',
        account: '000000000000',
        time: (entry.Time ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: process.env.AWS_REGION ?? 'eu-west-2',
        resources: [],
        detail: JSON.parse(entry.Detail ?? '{}'),
      };
      for (const subscription of subscriptions.filter((s) => matches(s.pattern, event))) {
        const target = targets[subscription.consumer];
        if (!target) continue;
        await target(event as never, lambdaContext(subscription.consumer)).catch((error: unknown) =>
          logger.error('local bus target failed', {
            target: subscription.id,
            error: (error as Error).name,
          }),
        );
      }
      results.push({ EventId: event.id });
    }
    return results;
  };
};
