import { Duration } from 'aws-cdk-lib';
import { type Archive, EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { EventSourceMapping, FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { subscriptions } from '../../events/subscriptions.ts';
import { schedules, streamConsumers } from '../../functions/consumers/consumers.ts';
import type { ServiceConfig } from '../config.ts';
import type { Data } from './data.ts';
import type { Functions } from './functions.ts';
import { deadLetterQueue } from './queues.ts';

export type EventsProps = { config: ServiceConfig };

const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/**
 * How events reach their consumers (docs/design.md "Events"): the table's stream feeds the
 * `streamConsumers` (functions/consumers/consumers.ts) through event source mappings, and the
 * bus feeds everyone else through one rule per entry of events/subscriptions.ts, the definition
 * the local runtime matches in-process; each of `schedules` is a rule on a cron expression (on
 * the default bus, where schedules run), the local runtime's timer. Every stream mapping and every
 * rule target has a dead-letter queue; in AWS the bus also keeps an archive to replay from.
 */
export class Events extends Construct {
  readonly bus: EventBus;
  readonly archive: Archive | undefined;
  readonly rules = new Map<string, Rule>();
  readonly deadLetters = new Map<string, Queue>();

  constructor(scope: Construct, id: string, props: EventsProps) {
    super(scope, id);
    const { stage } = props.config;
    this.bus = new EventBus(this, 'Bus', {
      eventBusName: `urgent-care-plans-${stage}`,
      description: `Urgent care plans (${stage}): every change to a plan and every read of one (events/README.md)`,
    });
    // LocalStack's free edition has no CloudFormation support for archives.
    this.archive =
      props.config.target === 'aws'
        ? this.bus.archive('Archive', {
            archiveName: `urgent-care-plans-${stage}`,
            description: 'Every event of the service, for replay',
            // Every source the service's own subscriptions listen to: the service's events.
            eventPattern: { source: [...new Set(subscriptions.flatMap((s) => s.pattern.source))] },
            retention: Duration.days(props.config.eventArchiveDays),
          })
        : undefined;
  }

  /** Wires the stream and the bus to the functions that consume them. */
  connect(functions: Functions, data: Data): void {
    const streamArn = data.table.tableStreamArn;
    if (!streamArn) throw new Error('the table has no stream: the outbox relay needs one');

    for (const name of streamConsumers) {
      const fn = functions.byName[name];
      const failures = deadLetterQueue(this, `${pascal(name)}StreamFailures`);
      this.deadLetters.set(`${name}Stream`, failures);
      new EventSourceMapping(this, `${pascal(name)}Stream`, {
        target: fn,
        eventSourceArn: streamArn,
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        // One batch at a time per shard: a patient's revisions arrive in order.
        parallelizationFactor: 1,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 10,
        maxRecordAge: Duration.hours(24),
        onFailure: new SqsDlq(failures),
        // Both consumers act on new items only; a TTL expiry or an update is nothing to them.
        filters: [FilterCriteria.filter({ eventName: FilterRule.isEqual('INSERT') })],
      });
      // The poller reads the stream it is given by ARN. No dynamodb:ListStreams: IAM evaluates it only
      // on "*" (on the stream it allows nothing), and listing every stream of the account is not needed.
      fn.addToRolePolicy(
        new PolicyStatement({
          sid: 'TableStream',
          actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          resources: [streamArn],
        }),
      );
      fn.addToRolePolicy(
        new PolicyStatement({
          sid: 'TableStreamKey',
          actions: ['kms:Decrypt'],
          resources: [data.key.keyArn],
        }),
      );
    }

    for (const subscription of subscriptions) {
      const fn = functions.byName[subscription.consumer];
      const deadLetters = deadLetterQueue(this, `${subscription.id}DeadLetters`);
      this.deadLetters.set(subscription.id, deadLetters);
      const { source, 'detail-type': detailType, detail } = subscription.pattern;
      const rule = new Rule(this, subscription.id, {
        eventBus: this.bus,
        description: `${subscription.id}: ${detailType.join(', ')} to ${subscription.consumer}`,
        eventPattern: { source, detailType, ...(detail && { detail }) },
        targets: [
          new LambdaFunction(fn, {
            deadLetterQueue: deadLetters,
            retryAttempts: 185,
            maxEventAge: Duration.hours(24),
          }),
        ],
      });
      this.rules.set(subscription.id, rule);
    }

    for (const schedule of schedules) {
      const deadLetters = deadLetterQueue(this, `${schedule.id}DeadLetters`);
      this.deadLetters.set(schedule.id, deadLetters);
      const rule = new Rule(this, schedule.id, {
        description: `${schedule.id}: ${schedule.description}`,
        schedule: Schedule.cron(schedule.cron),
        targets: [
          new LambdaFunction(functions.byName[schedule.consumer], {
            deadLetterQueue: deadLetters,
            // A missed run is caught up by the next one: each reminder is made and sent once.
            retryAttempts: 2,
            maxEventAge: Duration.hours(6),
          }),
        ],
      });
      this.rules.set(schedule.id, rule);
    }
  }
}
