import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { HostSystemRevisionConflict, type HostSystems, type Launches } from '../ports.ts';
import { keys, table } from '../table.ts';
import { isConditionFailure, newestRevision, tableQuery } from './query.ts';

/** `HOST#<id>` / `REV#<n>`: a host system's entry changes as an organisation's does, by inserts only. */
export const dynamoHostSystems = (client: DynamoDBDocumentClient, tableName: string): HostSystems => {
  const query = tableQuery(client, tableName);
  return {
    async get(id) {
      const item = await newestRevision(query, keys.hostSystem(id));
      return item
        ? {
            id: item.id,
            revision: item.revision,
            hostSystem: item.hostSystem,
            updatedAt: item.updatedAt,
            updatedBy: item.updatedBy,
          }
        : null;
    },

    async append(entry) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              pk: keys.hostSystem(entry.id),
              sk: keys.revision(entry.revision),
              type: 'hostSystemRevision',
              ...entry,
            },
            ConditionExpression: 'attribute_not_exists(sk)',
          }),
        );
      } catch (error) {
        if (isConditionFailure(error))
          throw new HostSystemRevisionConflict('another change to the entry was saved first');
        throw error;
      }
    },
  };
};

/** Slack past an assertion's expiry before its record may go: DynamoDB's TTL is not to the second anyway. */
const keepAfterExpirySeconds = 5 * 60;

/** `ASSERTION#<host>` / `JTI#<jti>`: one conditional put per exchange, gone by TTL once the assertion is dead. */
export const dynamoLaunches = (client: DynamoDBDocumentClient, tableName: string): Launches => ({
  async claimAssertion(hostSystem, jti, expiresAt) {
    try {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: keys.assertion(hostSystem),
            sk: keys.assertionId(jti),
            type: 'assertion',
            [table.timeToLive]: Math.ceil(expiresAt) + keepAfterExpirySeconds,
          },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  },
});
