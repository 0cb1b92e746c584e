import { Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct, IConstruct } from 'constructs';

/**
 * A dead-letter queue: where a delivery or an invocation goes after its retries. Every queue in
 * this service is one, and every one has a depth alarm (Operations finds them all).
 */
export function deadLetterQueue(scope: Construct, id: string): Queue {
  const queue = new Queue(scope, id, {
    retentionPeriod: Duration.days(14),
    // SQS-managed keys: EventBridge and Lambda deliver here without a key policy to maintain;
    // messages are event envelopes and stream pointers (identifiers, never clinical content).
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
  });
  Validations.of(queue.node.defaultChild as IConstruct).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason:
      'This queue is itself a dead-letter queue (of an EventBridge target, an asynchronous invocation or a stream mapping); its depth alarm is the next step, not another queue.',
  });
  return queue;
}
