import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ActorRef } from '../../../domain/actor.ts';
import type { AccessLogEntry, Audit } from '../ports.ts';
import { keys, table } from '../table.ts';
import { decodeCursor, encodeCursor, pageQuery, type StoredItem, startsWith } from './cursor.ts';
import { tableQuery } from './query.ts';

/** A source of the access log read to its end. */
const done = '~';

/** A launched user's entries name the host system they came through (`via`). */
const via = (actor: ActorRef) => (actor.via ? { via: actor.via } : {});

/** A carer's read or change: for whom, under which grant. */
const onBehalf = (item: StoredItem) =>
  item.onBehalfOf ? { onBehalfOf: item.onBehalfOf as string, grantId: item.grantId as string } : {};

const readEntry = (item: StoredItem): AccessLogEntry => ({
  at: item.at as string,
  actor: item.actor as ActorRef,
  action: item.action as string,
  purpose: (item.purpose as string | null) ?? null,
  breakGlass: item.breakGlass === true,
  ...via(item.actor as ActorRef),
  ...onBehalf(item),
});

const changeEntry = (item: StoredItem): AccessLogEntry => ({
  at: item.at as string,
  actor: item.by as ActorRef,
  action: item.command as string,
  purpose: null,
  breakGlass: false,
  ...via(item.by as ActorRef),
  ...onBehalf(item),
});

const grantEntry = (item: StoredItem): AccessLogEntry => ({
  at: item.at as string,
  actor: item.by as ActorRef,
  action: item.type === 'carerRevocation' ? 'revokeCarer' : 'grantCarer',
  purpose: null,
  breakGlass: false,
  ...via(item.by as ActorRef),
  ...onBehalf(item),
});

/** The access log's sources, each a range of the patient's partition: reads, plan revisions, carer grants. */
const sources = {
  reads: { prefix: keys.accessPrefix, who: 'actor', entry: readEntry },
  changes: { prefix: keys.revisionPrefix, who: 'by', entry: changeEntry },
  grants: { prefix: keys.carerPrefix, who: 'by', entry: grantEntry },
} as const;
type Source = keyof typeof sources;

/**
 * `PATIENT#<nhs>` / `ACCESS#<at>#<id>`, break-glass reads also under `BREAKGLASS#<ods>` in the
 * `byOrganisation` index. The access log reads the plan's revisions and the carer grants and
 * revocations too: each is a change.
 */
export const dynamoAccessRecords = (
  client: DynamoDBDocumentClient,
  tableName: string,
): Pick<Audit, 'recordAccess'> => ({
  async recordAccess(record) {
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: keys.patient(record.nhsNumber),
          sk: keys.access(record.at, record.id),
          type: 'access',
          ...record,
          // The same write files a break-glass read under the organisation whose privacy officer reviews it.
          ...(record.reportedTo && {
            [table.teamIndex.partitionKey]: keys.breakGlass(record.reportedTo),
            [table.teamIndex.sortKey]: `${record.at}#${record.id}`,
          }),
        },
        ConditionExpression: 'attribute_not_exists(sk)',
      }),
    );
  },
});

/** The access records with the listings read from them, for the functions that list. */
export const dynamoAudit = (client: DynamoDBDocumentClient, tableName: string): Audit => {
  const query = tableQuery(client, tableName);
  return {
    ...dynamoAccessRecords(client, tableName),
    /** Access records, revisions and grants merged by time; the cursor keeps a position in each. */
    async accessLog(nhsNumber, page, organisation) {
      const resumesAt = (prefix: string) => (v: string) => v === done || v === '' || v.startsWith(prefix);
      const after = decodeCursor(
        page.next,
        Object.fromEntries(Object.entries(sources).map(([name, { prefix }]) => [name, resumesAt(prefix)])),
      );
      const pk = keys.patient(nhsNumber);
      /**
       * Reads a source until it has more than a page of entries or is exhausted. With both sources
       * read that far, the newest page of their union is the newest page of the whole log, even
       * when a filter leaves most of what DynamoDB reads behind.
       */
      const read = async (prefix: string, position: string | undefined, who: 'actor' | 'by') => {
        const items: StoredItem[] = [];
        if (position === done) return { items, lastSk: undefined };
        let lastSk = position;
        do {
          const result = await query({
            KeyConditionExpression: 'pk = :pk and begins_with(sk, :prefix)',
            ExpressionAttributeValues: {
              ':pk': pk,
              ':prefix': prefix,
              ...(organisation && { ':org': organisation }),
            },
            ...(organisation && {
              FilterExpression: '#who.organisation = :org',
              ExpressionAttributeNames: { '#who': who },
            }),
            ScanIndexForward: false,
            Limit: page.limit + 1,
            ...(lastSk && { ExclusiveStartKey: { pk, sk: lastSk } }),
          });
          items.push(...(result.Items ?? []));
          lastSk = result.LastEvaluatedKey?.sk as string | undefined;
        } while (lastSk && items.length <= page.limit);
        return { items, lastSk };
      };
      const names = Object.keys(sources) as Source[];
      const results = await Promise.all(
        names.map((name) => read(sources[name].prefix, after?.[name], sources[name].who)),
      );
      const entries = names
        .flatMap((from, i) =>
          (results[i]?.items ?? []).map((item) => ({
            from,
            sk: item.sk as string,
            entry: sources[from].entry(item),
          })),
        )
        .sort((a, b) => (a.entry.at < b.entry.at ? 1 : a.entry.at > b.entry.at ? -1 : 0))
        .slice(0, page.limit);
      // Where each source resumes: after the last entry taken from it, or past what it has read when all was taken.
      const position = (from: Source, result: { items: unknown[]; lastSk: string | undefined }) => {
        const taken = entries.filter((e) => e.from === from);
        if (taken.length === result.items.length) return result.lastSk ?? done;
        return taken.at(-1)?.sk ?? after?.[from] ?? '';
      };
      const nextCursor = Object.fromEntries(
        names.map((name, i) => [name, position(name, results[i] ?? { items: [], lastSk: undefined })]),
      );
      const finished = Object.values(nextCursor).every((p) => p === done);
      return { items: entries.map((e) => e.entry), ...(!finished && { next: encodeCursor(nextCursor) }) };
    },

    async breakGlassReports(organisation, page) {
      const index = table.teamIndex;
      const after = decodeCursor(page.next, {
        pk: startsWith('PATIENT#'),
        sk: startsWith(keys.accessPrefix),
        [index.sortKey]: (v) => /^\d{4}-/.test(v),
      });
      return pageQuery(
        query,
        {
          IndexName: index.name,
          KeyConditionExpression: '#gpk = :gpk',
          ExpressionAttributeNames: { '#gpk': index.partitionKey },
          ExpressionAttributeValues: { ':gpk': keys.breakGlass(organisation) },
          ScanIndexForward: false,
          ...(after && {
            ExclusiveStartKey: { ...after, [index.partitionKey]: keys.breakGlass(organisation) },
          }),
        },
        page.limit,
        (item) => ({ pk: item.pk, sk: item.sk, [index.sortKey]: item[index.sortKey] }),
        (item) => ({
          at: item.at,
          reference: item.events?.[0]?.id ?? item.id,
          nhsNumber: item.nhsNumber,
          reader: item.actor,
          reason: item.breakGlassReason,
          action: item.action,
          purpose: item.purpose ?? null,
        }),
      );
    },
  };
};
