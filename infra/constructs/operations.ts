import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  type Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { streamConsumers } from '../../functions/consumers/consumers.ts';
import type { ServiceConfig } from '../config.ts';
import type { Api } from './api.ts';
import type { Functions } from './functions.ts';

export type OperationsProps = { config: ServiceConfig; functions: Functions; api: Api };

const fiveMinutes = Duration.minutes(5);

/**
 * What on-call watches: an alarm for every function's errors and throttles, every dead-letter
 * queue's depth (all queues in the stack are dead-letter queues), the stream consumers' lag,
 * and the API's 5xx and p99 latency, all to one encrypted SNS topic; and one dashboard.
 * Subscribe on-call to the topic (output AlarmTopicArn).
 */
export class Operations extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const { config, functions, api } = props;
    const keep = config.stage !== 'dev';
    const key = new Key(this, 'Key', {
      description: `Urgent care plans (${config.stage}): the alarm topic`,
      alias: `alias/urgent-care-plans/${config.stage}/alarms`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(keep ? 30 : 7),
      removalPolicy: keep ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new Topic(this, 'Alarms', {
      displayName: `Urgent care plans (${config.stage}) alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    const action = new SnsAction(this.topic);

    const alarm = (id: string, metric: IMetric, threshold: number, description: string, periods = 1) => {
      const made = new Alarm(this, id, {
        metric,
        threshold,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      made.addAlarmAction(action);
      made.addOkAction(action);
      this.alarms.push(made);
      return made;
    };

    for (const [name, fn] of functions.entries()) {
      alarm(
        `${name}Errors`,
        fn.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
        1,
        `${name} failed at least once in 5 minutes: see its log group`,
      );
      alarm(
        `${name}Throttles`,
        fn.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }),
        1,
        `${name} was throttled: the account's concurrency is exhausted`,
      );
    }
    for (const name of streamConsumers) {
      alarm(
        `${name}StreamLag`,
        functions.byName[name].metric('IteratorAge', { period: fiveMinutes, statistic: 'Maximum' }),
        60_000,
        `${name} is more than a minute behind the table stream for 15 minutes: events and worklists are late`,
        3,
      );
    }
    const queues = Stack.of(this)
      .node.findAll()
      .filter((c): c is Queue => c instanceof Queue);
    for (const queue of queues) {
      alarm(
        `${queue.node.path.split('/').slice(1).join('')}Depth`,
        queue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' }),
        1,
        `${queue.node.path}: something was not delivered or not processed after its retries; inspect, fix, redrive`,
      );
    }
    const stage = api.restApi.deploymentStage;
    const serverErrors = stage.metricServerError({ period: fiveMinutes, statistic: 'Sum' });
    const latency = stage.metricLatency({ period: fiveMinutes, statistic: 'p99' });
    alarm('ApiServerErrors', serverErrors, 1, 'The API answered 5xx: see the function alarms and logs');
    alarm(
      'ApiLatency',
      latency,
      config.latencyAlarmMs,
      `API p99 latency at or above ${config.latencyAlarmMs} ms for 15 minutes`,
      3,
    );

    const byFunction = (metric: (fn: NodejsFunction) => Metric) =>
      functions.entries().map(([name, fn]) => metric(fn).with({ label: name }));
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `urgent-care-plans-${config.stage}`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 4 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'API requests and errors',
        left: [
          stage.metricCount({ period: fiveMinutes, statistic: 'Sum', label: 'requests' }),
          stage.metricClientError({ period: fiveMinutes, statistic: 'Sum', label: '4xx' }),
          serverErrors.with({ label: '5xx' }),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: 'API latency (ms)',
        left: [
          stage.metricLatency({ period: fiveMinutes, statistic: 'p50', label: 'p50' }),
          latency.with({ label: 'p99' }),
          stage.metricIntegrationLatency({ period: fiveMinutes, statistic: 'p99', label: 'integration p99' }),
        ],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Invocations',
        left: byFunction((fn) => fn.metricInvocations({ period: fiveMinutes, statistic: 'Sum' })),
        width: 8,
      }),
      new GraphWidget({
        title: 'Errors and throttles',
        left: byFunction((fn) => fn.metricErrors({ period: fiveMinutes, statistic: 'Sum' })),
        right: byFunction((fn) => fn.metricThrottles({ period: fiveMinutes, statistic: 'Sum' })),
        width: 8,
      }),
      new GraphWidget({
        title: 'Duration p99 (ms)',
        left: byFunction((fn) => fn.metricDuration({ period: fiveMinutes, statistic: 'p99' })),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Dead-letter queues (messages waiting)',
        left: queues.map((q) =>
          q
            .metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' })
            .with({ label: q.node.path.split('/').slice(2).join('/') }),
        ),
        width: 12,
      }),
      new GraphWidget({
        title: 'Stream lag (ms)',
        left: streamConsumers.map((name) =>
          functions.byName[name].metric('IteratorAge', {
            period: fiveMinutes,
            statistic: 'Maximum',
            label: name,
          }),
        ),
        width: 12,
      }),
    );
  }
}
