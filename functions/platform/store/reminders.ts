import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Reminders } from '../ports.ts';
import { keys } from '../table.ts';
import { isConditionFailure } from './query.ts';

/**
 * `PATIENT#<nhs>` / `REMINDER#<kind>#<date>#<threshold>`: one reminder, made by one conditional put
 * whoever runs the job and however often. Its reference names the messages (and their delivery
 * records), never the patient.
 */
export const dynamoReminders = (client: DynamoDBDocumentClient, tableName: string): Reminders => ({
  async claim({ nhsNumber, kind, reviewDate, threshold }, reference, at) {
    const Key = { pk: keys.patient(nhsNumber), sk: keys.reminder(kind, reviewDate, threshold) };
    try {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...Key, type: 'reminder', reference, at },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
      return { reference, created: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const { Item } = await client.send(new GetCommand({ TableName: tableName, Key, ConsistentRead: true }));
    return { reference: Item?.reference as string, created: false };
  },
});
