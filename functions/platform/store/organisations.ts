import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { OrganisationRevisionConflict, type Organisations } from '../ports.ts';
import { keys } from '../table.ts';
import { isConditionFailure, newestRevision, tableQuery } from './query.ts';

/** `ORG#<ods>` / `REV#<n>`: a registry entry changes as a plan does. */
export const dynamoOrganisations = (client: DynamoDBDocumentClient, tableName: string): Organisations => {
  const query = tableQuery(client, tableName);
  return {
    async get(ods) {
      const item = await newestRevision(query, keys.organisation(ods));
      return item
        ? {
            ods: item.ods,
            revision: item.revision,
            organisation: item.organisation,
            updatedAt: item.updatedAt,
            updatedBy: item.updatedBy,
          }
        : null;
    },

    /**
     * One conditional put of the entry's next revision, which carries the `Organisation.Updated`
     * event (the outbox) and keeps every earlier revision.
     */
    async append(record) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              pk: keys.organisation(record.ods),
              sk: keys.revision(record.revision),
              type: 'organisationRevision',
              ...record,
            },
            ConditionExpression: 'attribute_not_exists(sk)',
          }),
        );
      } catch (error) {
        if (isConditionFailure(error))
          throw new OrganisationRevisionConflict('another change to the entry was saved first');
        throw error;
      }
    },
  };
};
