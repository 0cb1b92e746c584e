import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, StreamViewType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { table } from '../../functions/platform/table.ts';
import type { ServiceConfig } from '../config.ts';

export type DataProps = { config: ServiceConfig };

/**
 * The single table (docs/design.md "Data"): pk/sk, the version LSI, the care-team and search GSIs named in
 * functions/platform/table.ts, point-in-time recovery, a stream of new images (the outbox the
 * relay reads), TTL, and a customer-managed key. Outside `dev` it is retained and protected.
 */
export class Data extends Construct {
  readonly table: TableV2;
  readonly key: Key;

  constructor(scope: Construct, id: string, props: DataProps) {
    super(scope, id);
    const { stage } = props.config;
    const keep = stage !== 'dev';
    this.key = new Key(this, 'Key', {
      description: `Urgent care plans (${stage}): the table, its indexes and its stream`,
      alias: `alias/urgent-care-plans/${stage}/data`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(keep ? 30 : 7),
      removalPolicy: keep ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: table.partitionKey, type: AttributeType.STRING },
      sortKey: { name: table.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.customerManagedKey(this.key),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      dynamoStream: StreamViewType.NEW_IMAGE,
      timeToLiveAttribute: table.timeToLive,
      localSecondaryIndexes: [
        {
          indexName: table.versionIndex.name,
          sortKey: { name: table.versionIndex.sortKey, type: AttributeType.STRING },
        },
      ],
      globalSecondaryIndexes: [
        {
          indexName: table.teamIndex.name,
          partitionKey: { name: table.teamIndex.partitionKey, type: AttributeType.STRING },
          sortKey: { name: table.teamIndex.sortKey, type: AttributeType.STRING },
        },
        {
          indexName: table.searchIndex.name,
          partitionKey: { name: table.searchIndex.partitionKey, type: AttributeType.STRING },
          sortKey: { name: table.searchIndex.sortKey, type: AttributeType.STRING },
        },
      ],
      deletionProtection: keep,
      removalPolicy: keep ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  }

  /** The ARN of one index, for a policy that may query that index and no other. */
  indexArn(indexName: string): string {
    return `${this.table.tableArn}/index/${indexName}`;
  }
}
