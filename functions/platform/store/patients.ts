import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { PatientAlreadyEnrolled, type Patients } from '../ports.ts';
import { keys } from '../table.ts';
import { isConditionFailure } from './query.ts';

/** `PATIENT#<nhs>` / `PROFILE`. */
export const dynamoPatients = (client: DynamoDBDocumentClient, tableName: string): Patients => ({
  async get(nhsNumber) {
    const { Item } = await client.send(
      new GetCommand({ TableName: tableName, Key: { pk: keys.patient(nhsNumber), sk: keys.profile } }),
    );
    return Item
      ? {
          profile: Item.profile,
          careTeam: Item.careTeam,
          ...(Item.careTeamDetails && { careTeamDetails: Item.careTeamDetails }),
          enrolledAt: Item.enrolledAt,
        }
      : null;
  },

  /** One conditional put: the profile exists once. */
  async enrol(record, events) {
    try {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: keys.patient(record.profile.nhsNumber),
            sk: keys.profile,
            type: 'patient',
            ...record,
            events,
          },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new PatientAlreadyEnrolled('the patient is already enrolled');
      throw error;
    }
  },
});
