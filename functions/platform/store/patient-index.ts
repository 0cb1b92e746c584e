import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type Gender, normaliseName, type SearchCandidate } from '../../../domain/search.ts';
import { phoneticCodes } from '../phonetic.ts';
import type { PatientIndex, PatientRecord } from '../ports.ts';
import { keys, table } from '../table.ts';
import type { Query, StoredItem } from './cursor.ts';
import { tableQuery } from './query.ts';

const candidateOf = (item: StoredItem): SearchCandidate => ({
  nhsNumber: item.nhsNumber,
  name: item.name,
  birthDate: item.birthDate,
  postcode: item.postcode,
  ...(item.gender && { gender: item.gender as Gender }),
  keys: item.keys,
});

/** Reads on until the query ends, or stops once it has found more than `max`. */
const upTo = async (query: Query, input: Parameters<Query>[0], max: number) => {
  const found: SearchCandidate[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await query({ ...input, ...(ExclusiveStartKey && { ExclusiveStartKey }) });
    found.push(...(page.Items ?? []).map(candidateOf));
    if (found.length > max) return 'tooMany' as const;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return found;
};

/**
 * A patient's search keys, two items kept from the profile by the projections: `SEARCH#BORN`,
 * under `BORN#<birth date>` sorted by `<family>#<nhs>` (one birth date: an exact or wildcard family
 * name is a begins_with on a handful of items; a fuzzy search reads them all and compares by
 * sound), and `SEARCH#NAME`, under `FAMILY#<first two letters>` sorted by
 * `<family>#<birth date>#<nhs>` (a birth date range: one Query). Both in the sparse
 * `byDemographics` index; each holds the demographics a match answers with.
 */
export const dynamoPatientIndex = (client: DynamoDBDocumentClient, tableName: string): PatientIndex => {
  const query = tableQuery(client, tableName);
  const index = table.searchIndex;
  const names = { '#gpk': index.partitionKey, '#gsk': index.sortKey };
  return {
    async index({ profile }: PatientRecord) {
      const family = normaliseName(profile.name.family);
      const candidate: Omit<SearchCandidate, 'nhsNumber'> = {
        name: profile.name,
        birthDate: profile.birthDate,
        postcode: profile.postcode,
        ...(profile.gender && { gender: profile.gender }),
        keys: {
          family,
          given: normaliseName(profile.name.given),
          familyCodes: phoneticCodes(profile.name.family),
          givenCodes: phoneticCodes(profile.name.given),
        },
      };
      const nhs = profile.nhsNumber;
      const put = (kind: 'NAME' | 'BORN', pk: string, sk: string) =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              pk: keys.patient(nhs),
              sk: keys.search(kind),
              type: 'searchKey',
              nhsNumber: nhs,
              ...candidate,
              [index.partitionKey]: pk,
              [index.sortKey]: sk,
            },
          }),
        );
      await Promise.all([
        put('NAME', keys.familyNames(family), `${family}#${profile.birthDate}#${nhs}`),
        put('BORN', keys.bornOn(profile.birthDate), `${family}#${nhs}`),
      ]);
    },

    byFamilyName(family, born, max) {
      // One birth date: that day's partition, by family name or its start (a handful of items).
      if (born.from === born.to) {
        return upTo(
          query,
          {
            IndexName: index.name,
            KeyConditionExpression: '#gpk = :gpk and begins_with(#gsk, :family)',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: {
              ':gpk': keys.bornOn(born.from),
              ':family': family.prefix ? family.value : `${family.value}#`,
            },
          },
          max,
        );
      }
      const partition = { ':gpk': keys.familyNames(family.value) };
      return upTo(
        query,
        family.prefix
          ? {
              IndexName: index.name,
              KeyConditionExpression: '#gpk = :gpk and begins_with(#gsk, :prefix)',
              FilterExpression: 'birthDate BETWEEN :from AND :to',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: {
                ...partition,
                ':prefix': family.value,
                ':from': born.from,
                ':to': born.to,
              },
            }
          : {
              IndexName: index.name,
              KeyConditionExpression: '#gpk = :gpk and #gsk BETWEEN :from AND :to',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: {
                ...partition,
                ':from': `${family.value}#${born.from}`,
                ':to': `${family.value}#${born.to}#~`,
              },
            },
        max,
      );
    },

    bornOn(date, max) {
      return upTo(
        query,
        {
          IndexName: index.name,
          KeyConditionExpression: '#gpk = :gpk',
          ExpressionAttributeNames: { '#gpk': index.partitionKey },
          ExpressionAttributeValues: { ':gpk': keys.bornOn(date) },
        },
        max,
      );
    },
  };
};
