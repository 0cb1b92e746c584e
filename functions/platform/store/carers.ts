import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { CarerGrant, CarerRevocation, GrantRecord } from '../../../domain/carers.ts';
import { CarerGrantConflict, type Carers, GrantAlreadyRevoked } from '../ports.ts';
import { keys } from '../table.ts';
import type { StoredItem } from './cursor.ts';
import { isConditionFailure, tableQuery } from './query.ts';

/**
 * `PATIENT#<nhs>` / `CARER#<grant number>` (the grant) and `CARER#<grant number>#REVOKED` (its
 * revocation): inserts only, each one conditional put carrying its event, so the table's stream
 * relays both and of two racing revocations exactly one is stored. Each also keeps who did it
 * (`by`) and when (`at`), as revisions do, for the access log.
 */
export const dynamoCarers = (client: DynamoDBDocumentClient, tableName: string): Carers => {
  const query = tableQuery(client, tableName);
  const putOnce = (item: Record<string, unknown>) =>
    client.send(
      new PutCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(sk)' }),
    );
  return {
    async grants(nhsNumber) {
      const items: StoredItem[] = [];
      let after: Record<string, unknown> | undefined;
      do {
        const result = await query({
          KeyConditionExpression: 'pk = :pk and begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': keys.patient(nhsNumber), ':prefix': keys.carerPrefix },
          ConsistentRead: true,
          ...(after && { ExclusiveStartKey: after }),
        });
        items.push(...(result.Items ?? []));
        after = result.LastEvaluatedKey;
      } while (after);
      const revocations = new Map(
        items
          .filter((item) => item.type === 'carerRevocation')
          .map((item) => [item.revocation.grantId as string, item.revocation as CarerRevocation]),
      );
      return items
        .filter((item) => item.type === 'carerGrant')
        .map(
          (item): GrantRecord => ({
            grant: item.grant as CarerGrant,
            revocation: revocations.get(item.grant.id) ?? null,
          }),
        );
    },

    async grant(grant, events) {
      try {
        await putOnce({
          pk: keys.patient(grant.nhsNumber),
          sk: keys.carerGrant(grant.id),
          type: 'carerGrant',
          grant,
          by: grant.grantedBy,
          at: grant.grantedAt,
          events,
        });
      } catch (error) {
        if (isConditionFailure(error)) throw new CarerGrantConflict('another grant took this number');
        throw error;
      }
    },

    async revoke(nhsNumber, revocation, events, carer) {
      try {
        await putOnce({
          pk: keys.patient(nhsNumber),
          sk: keys.carerRevocation(revocation.grantId),
          type: 'carerRevocation',
          revocation,
          by: revocation.revokedBy,
          at: revocation.revokedAt,
          ...carer,
          events,
        });
      } catch (error) {
        if (isConditionFailure(error)) throw new GrantAlreadyRevoked('the grant is already revoked');
        throw error;
      }
    },
  };
};
