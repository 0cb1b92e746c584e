import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, Billing, StreamViewType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { table } from '../functions/platform/table.ts';

export type UrgentCarePlanStackProps = StackProps & { stage: string };

/** The service's stack. This first cut holds the single table; the API, bus and archive follow. */
export class UrgentCarePlanStack extends Stack {
  constructor(scope: Construct, id: string, props: UrgentCarePlanStackProps) {
    super(scope, id, props);
    new TableV2(this, 'Table', {
      partitionKey: { name: table.partitionKey, type: AttributeType.STRING },
      sortKey: { name: table.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
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
      ],
      deletionProtection: props.stage !== 'dev',
      removalPolicy: props.stage === 'dev' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
  }
}
