import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { counterNames, type MonthCounters } from '../../../domain/outcomes.ts';
import type { Outcomes } from '../ports.ts';
import { keys } from '../table.ts';
import type { Query, StoredItem } from './cursor.ts';
import { isConditionFailure, tableQuery } from './query.ts';

/** Every item of a query, page after page: the partitions read here are small (a month an item). */
export const queryAll = async (query: Query, input: Parameters<Query>[0]): Promise<StoredItem[]> => {
  const items: StoredItem[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await query({ ...input, ...(ExclusiveStartKey && { ExclusiveStartKey }) });
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
};

/**
 * `OUTCOMES#<ods>` / `MONTH#<yyyy-mm>`: the counters of one GP practice's month, and `counted`, the
 * string set of the event ids applied to it. One UpdateItem adds a change and its event id, on
 * condition the id is not in the set yet: a redelivered event is never counted twice, with no
 * second write to fall out of step with. The set grows by one id (26 characters) an event: a
 * practice would need some 14,000 publications, withdrawals and deaths in one month to near
 * DynamoDB's 400 KB item limit. `OUTCOMES` / `ORG#<ods>` lists the practices with counters.
 */
export const dynamoOutcomes = (client: DynamoDBDocumentClient, tableName: string): Outcomes => {
  const query = tableQuery(client, tableName);
  return {
    async count({ eventId, organisation, month, counts }) {
      // Listed first: a redelivery after a failure here finds the change counted and stops.
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: keys.outcomeOrganisations,
            sk: keys.organisation(organisation),
            type: 'outcomeOrganisation',
            organisation,
          },
        }),
      );
      const names = Object.keys(counts);
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: keys.outcomes(organisation), sk: keys.outcomeMonth(month) },
            UpdateExpression: `SET #type = :type, organisation = :organisation, #month = :month ADD ${[
              ...names.map((_, i) => `#c${i} :c${i}`),
              'counted :ids',
            ].join(', ')}`,
            ConditionExpression: 'NOT contains(counted, :id)',
            ExpressionAttributeNames: {
              '#type': 'type',
              '#month': 'month',
              ...Object.fromEntries(names.map((name, i) => [`#c${i}`, name])),
            },
            ExpressionAttributeValues: {
              ':type': 'outcomeCounters',
              ':organisation': organisation,
              ':month': month,
              ':id': eventId,
              ':ids': new Set([eventId]),
              ...Object.fromEntries(names.map((name, i) => [`:c${i}`, counts[name as keyof typeof counts]])),
            },
          }),
        );
        return 'counted';
      } catch (error) {
        if (isConditionFailure(error)) return 'alreadyCounted';
        throw error;
      }
    },

    async organisations() {
      const items = await queryAll(query, {
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.outcomeOrganisations },
      });
      return items.map((item) => item.organisation as string);
    },

    async months(organisation, to): Promise<MonthCounters[]> {
      const items = await queryAll(query, {
        KeyConditionExpression: 'pk = :pk and sk BETWEEN :first AND :last',
        // The counted ids are the writer's business, not the report's.
        ProjectionExpression: ['#month', ...counterNames.map((_, i) => `#c${i}`)].join(', '),
        ExpressionAttributeNames: {
          '#month': 'month',
          ...Object.fromEntries(counterNames.map((name, i) => [`#c${i}`, name])),
        },
        ExpressionAttributeValues: {
          ':pk': keys.outcomes(organisation),
          ':first': keys.outcomeMonthPrefix,
          ':last': keys.outcomeMonth(to),
        },
      });
      return items.map(({ month, ...counters }) => ({ organisation, month: month as string, counters }));
    },
  };
};
