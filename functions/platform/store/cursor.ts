import type { QueryCommandInput, QueryCommandOutput } from '@aws-sdk/lib-dynamodb';

export type Page<T> = { items: T[]; next?: string };
export type PageRequest = { limit: number; next?: string };

/** A cursor that this service did not issue for this listing. */
export class InvalidCursor extends Error {
  override name = 'InvalidCursor';
}

export type StoredItem = NonNullable<QueryCommandOutput['Items']>[number];

/** Cursors carry only sort keys: the partition always comes from the request, so a cursor cannot reach another patient. */
export const encodeCursor = (value: Record<string, string>): string =>
  Buffer.from(JSON.stringify(value)).toString('base64url');

/** Each field of a cursor must be a sort key of the listing it came from (or a marker such as `done`). */
export type CursorShape = Record<string, (value: string) => boolean>;
export const startsWith = (prefix: string) => (value: string) => value.startsWith(prefix);

export const decodeCursor = (
  cursor: string | undefined,
  shape: CursorShape,
): Record<string, string> | undefined => {
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

export type Query = (input: Omit<QueryCommandInput, 'TableName'>) => Promise<QueryCommandOutput>;

/** One page of a query. Reads one more than asked, so `next` is given only when another page really exists. */
export const pageQuery = async <T>(
  query: Query,
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
