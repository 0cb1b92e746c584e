import type { DynamoDBDocumentClient, QueryCommandInput, QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ActorRef } from '../../domain/actor.ts';
import type { PublishedVersion } from '../../domain/plan.ts';
import { keys, table } from './table.ts';

type StoredItem = NonNullable<QueryCommandOutput['Items']>[number];

export type Page<T> = { items: T[]; next?: string };
export type PageRequest = { limit: number; next?: string };

/** A cursor that this service did not issue for this listing. */
export class InvalidCursor extends Error {
  override name = 'InvalidCursor';
}

/** Cursors carry only sort keys: the partition always comes from the request, so a cursor cannot reach another patient. */
const encodeCursor = (value: Record<string, string>): string =>
  Buffer.from(JSON.stringify(value)).toString('base64url');
/** Each field of a cursor must be a sort key of the listing it came from (or a marker such as `done`). */
type CursorShape = Record<string, (value: string) => boolean>;
const startsWith = (prefix: string) => (value: string) => value.startsWith(prefix);
const decodeCursor = (cursor: string | undefined, shape: CursorShape): Record<string, string> | undefined => {
  if (cursor === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      typeof value === 'object' &&
      value !== null &&
      Object.keys(value).length === Object.keys(shape).length &&
      Object.entries(shape).every(([field, valid]) => {
        const v = (value as Record<string, unknown>)[field];
        return typeof v === 'string' && v.length <= 200 && valid(v);
      })
    ) {
      return value as Record<string, string>;
    }
  } catch {
    // fall through: not one of ours
  }
  throw new InvalidCursor('the next cursor is not valid for this list');
};

/**
 * The paged listings (versions, access log, break-glass reports, worklist), apart from the
 * repository: only the plan reads list, so only their function carries them.
 */
export const createListings = (client: DynamoDBDocumentClient, tableName: string) => {
  const query = async (input: Omit<QueryCommandInput, 'TableName'>) =>
    client.send(new QueryCommand({ TableName: tableName, ...input }));

  /** Reads one more than asked, so `next` is given only when another page really exists. */
  const pageQuery = async <T>(
    input: Omit<QueryCommandInput, 'TableName' | 'Limit'>,
    limit: number,
    cursorOf: (item: StoredItem) => Record<string, string>,
    toItem: (item: StoredItem) => T,
  ): Promise<Page<T>> => {
    const result = await query({ ...input, Limit: limit + 1 });
    const items = result.Items ?? [];
    const pageItems = items.slice(0, limit);
    // More than a page came back: resume after the last one shown. Fewer, but a filter stopped
    // DynamoDB short of the end: resume where it stopped.
    const resumeAfter = items.length > limit ? pageItems.at(-1) : result.LastEvaluatedKey;
    return {
      items: pageItems.map(toItem),
      ...(resumeAfter && { next: encodeCursor(cursorOf(resumeAfter)) }),
    };
  };

  return {
    async listVersions(nhsNumber: string, page: PageRequest): Promise<Page<PublishedVersion>> {
      const after = decodeCursor(page.next, {
        sk: startsWith(keys.revisionPrefix),
        versionSk: startsWith(keys.version(0).slice(0, 8)),
      });
      return pageQuery(
        {
          IndexName: table.versionIndex.name,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.patient(nhsNumber) },
          ScanIndexForward: false,
          ...(after && { ExclusiveStartKey: { pk: keys.patient(nhsNumber), ...after } }),
        },
        page.limit,
        (item) => ({ sk: item.sk, versionSk: item.versionSk }),
        (item) => item.plan.published as PublishedVersion,
      );
    },

    /**
     * Who read or changed the plan, newest first: access records and revisions merged by time.
     * The cursor keeps a position in each; `organisation` narrows to one organisation's staff.
     */
    async listAccessLog(
      nhsNumber: string,
      page: PageRequest,
      organisation?: string,
    ): Promise<Page<AccessLogEntry>> {
      const resumesAt = (prefix: string) => (v: string) => v === done || v === '' || v.startsWith(prefix);
      const after = decodeCursor(page.next, {
        reads: resumesAt(keys.accessPrefix),
        changes: resumesAt(keys.revisionPrefix),
      });
      const pk = keys.patient(nhsNumber);
      /**
       * Reads a source until it has more than a page of entries or is exhausted. With both sources
       * read that far, the newest page of their union is the newest page of the whole log, even
       * when a filter leaves most of what DynamoDB reads behind.
       */
      const source = async (prefix: string, position: string | undefined, who: 'actor' | 'by') => {
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
      const [reads, changes] = await Promise.all([
        source(keys.accessPrefix, after?.reads, 'actor'),
        source(keys.revisionPrefix, after?.changes, 'by'),
      ]);
      const entries = [
        ...reads.items.map((item) => ({
          from: 'reads' as const,
          sk: item.sk as string,
          entry: readEntry(item),
        })),
        ...changes.items.map((item) => ({
          from: 'changes' as const,
          sk: item.sk as string,
          entry: changeEntry(item),
        })),
      ]
        .sort((a, b) => (a.entry.at < b.entry.at ? 1 : a.entry.at > b.entry.at ? -1 : 0))
        .slice(0, page.limit);
      // Where each source resumes: after the last entry taken from it, or past what it has read when all was taken.
      const position = (
        from: 'reads' | 'changes',
        read: { items: unknown[]; lastSk: string | undefined },
      ) => {
        const taken = entries.filter((e) => e.from === from);
        if (taken.length === read.items.length) return read.lastSk ?? done;
        return taken.at(-1)?.sk ?? after?.[from] ?? '';
      };
      const nextCursor = { reads: position('reads', reads), changes: position('changes', changes) };
      const finished = nextCursor.reads === done && nextCursor.changes === done;
      return { items: entries.map((e) => e.entry), ...(!finished && { next: encodeCursor(nextCursor) }) };
    },

    /** Break-glass reads by an organisation's staff, newest first: its privacy officer's report. */
    async listBreakGlass(organisation: string, page: PageRequest): Promise<Page<BreakGlassReport>> {
      const index = table.teamIndex;
      const after = decodeCursor(page.next, {
        pk: startsWith('PATIENT#'),
        sk: startsWith(keys.accessPrefix),
        [index.sortKey]: (v) => /^\d{4}-/.test(v),
      });
      return pageQuery(
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

    async listAwaitingRatification(organisation: string, page: PageRequest): Promise<Page<WorklistItem>> {
      const after = decodeCursor(page.next, { sk: startsWith(keys.awaitingPrefix) });
      return pageQuery(
        {
          KeyConditionExpression: 'pk = :pk and begins_with(sk, :prefix)',
          // Cleared entries stay as tombstones (see projections.ts); the worklist shows the waiting ones.
          FilterExpression: '#state = :awaiting',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':pk': keys.organisation(organisation),
            ':prefix': keys.awaitingPrefix,
            ':awaiting': 'awaiting',
          },
          ...(after && { ExclusiveStartKey: { pk: keys.organisation(organisation), sk: after.sk } }),
        },
        page.limit,
        (item) => ({ sk: item.sk }),
        (item) => ({
          nhsNumber: item.nhsNumber,
          submittedAt: item.submittedAt,
          submittedBy: item.submittedBy,
          ...(item.clinician && { clinician: item.clinician }),
        }),
      );
    },
  };
};

const done = '~';

export type AccessLogEntry = {
  at: string;
  actor: ActorRef;
  action: string;
  purpose: string | null;
  breakGlass: boolean;
};

export type BreakGlassReport = {
  at: string;
  /** The id of the CarePlan.Accessed event, quoted in the privacy officer's email. */
  reference: string;
  nhsNumber: string;
  reader: ActorRef;
  reason: string;
  action: string;
  purpose: string | null;
};

export type WorklistItem = {
  nhsNumber: string;
  submittedAt: string;
  submittedBy: ActorRef;
  clinician?: string;
};

const readEntry = (item: Record<string, unknown>): AccessLogEntry => ({
  at: item.at as string,
  actor: item.actor as ActorRef,
  action: item.action as string,
  purpose: (item.purpose as string | null) ?? null,
  breakGlass: item.breakGlass === true,
});

const changeEntry = (item: Record<string, unknown>): AccessLogEntry => ({
  at: item.at as string,
  actor: item.by as ActorRef,
  action: item.command as string,
  purpose: null,
  breakGlass: false,
});

export type Listings = ReturnType<typeof createListings>;
