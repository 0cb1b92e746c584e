import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoAudit } from '../../functions/platform/store/audit.ts';
import { dynamoCarers } from '../../functions/platform/store/carers.ts';
import { dynamoDeliveries } from '../../functions/platform/store/deliveries.ts';
import { dynamoOrganisations } from '../../functions/platform/store/organisations.ts';
import { dynamoPatients } from '../../functions/platform/store/patients.ts';
import { dynamoPlans } from '../../functions/platform/store/plans.ts';
import { dynamoWorklists } from '../../functions/platform/store/worklists.ts';

/** Every port's DynamoDB adapter over one client and table: what the composition root makes, for tests. */
export const dynamoStore = (client: DynamoDBDocumentClient, tableName: string) => ({
  patients: dynamoPatients(client, tableName),
  plans: dynamoPlans(client, tableName),
  audit: dynamoAudit(client, tableName),
  carers: dynamoCarers(client, tableName),
  organisations: dynamoOrganisations(client, tableName),
  deliveries: dynamoDeliveries(client, tableName),
  worklists: dynamoWorklists(client, tableName),
});
export type Store = ReturnType<typeof dynamoStore>;
