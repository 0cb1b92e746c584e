import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { ActorRef } from '../../domain/actor.ts';
import type { AccessAction, DomainEvent } from '../../domain/events.ts';
import { type PatientProfile, type Plan, type PublishedVersion, planStatus } from '../../domain/plan.ts';
import { keys, table } from './table.ts';

/** A client's retry key with the request's fingerprint, kept on the item the request created. */
export type IdempotencyRecord = { key: string; actorId: string; fingerprint: string };

export type PatientRecord = { profile: PatientProfile; enrolledAt: string; idempotency?: IdempotencyRecord };

export type RevisionRecord = {
  plan: Plan;
  command: string;
  by: ActorRef;
  at: string;
  events: DomainEvent[];
  idempotency?: IdempotencyRecord;
};

export type AccessRecord = {
  nhsNumber: string;
  id: string;
  at: string;
  actor: ActorRef;
  action: AccessAction;
  purpose: string | null;
  breakGlass: boolean;
  breakGlassReason?: string;
  events: DomainEvent[];
};

export type Page<T> = { items: T[]; next?: string };
export type PageRequest = { limit: number; next?: string };

/** Lost the race for revision n+1: someone else wrote it first. */
export class PlanRevisionConflict extends Error {
  override name = 'PlanRevisionConflict';
}
export class PatientAlreadyEnrolled extends Error {
  override name = 'PatientAlreadyEnrolled';
}
/** A cursor that this service did not issue for this listing. */
export class InvalidCursor extends Error {
  override name = 'InvalidCursor';
}

/** DynamoDB's limit is 400 KB an item; keep well clear so a plan always fits with its events. */
const maxRevisionBytes = 300_000;
export class PlanTooLarge extends Error {
  override name = 'PlanTooLarge';
}

/** Cursors carry only sort keys: the partition always comes from the request, so a cursor cannot reach another patient. */
const encodeCursor = (value: Record<string, string>): string =>
  Buffer.from(JSON.stringify(value)).toString('base64url');
const decodeCursor = (
  cursor: string | undefined,
  fields: readonly string[],
): Record<string, string> | undefined => {
  if (cursor === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      typeof value === 'object' &&
      value !== null &&
      fields.every((f) => typeof (value as Record<string, unknown>)[f] === 'string')
    ) {
      return value as Record<string, string>;
    }
  } catch {
    // fall through: not one of ours
  }
  throw new InvalidCursor('the next cursor is not valid for this list');
};

const isConditionFailure = (error: unknown): boolean => error instanceof ConditionalCheckFailedException;

export const createPlanRepository = (client: DynamoDBDocumentClient, tableName: string) => {
  const query = async (input: Omit<QueryCommandInput, 'TableName'>) =>
    client.send(new QueryCommand({ TableName: tableName, ...input }));

  const revisionItem = (record: RevisionRecord) => {
    const { plan } = record;
    return {
      pk: keys.patient(plan.nhsNumber),
      sk: keys.revision(plan.revision),
      type: 'revision',
      revision: plan.revision,
      status: planStatus(plan),
      ...record,
      // Only a revision that published a version is in the sparse version index.
      ...(record.command === 'ratify' &&
        plan.published && { [table.versionIndex.sortKey]: keys.version(plan.published.version) }),
    };
  };

  return {
    async getPatient(nhsNumber: string): Promise<PatientRecord | null> {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: { pk: keys.patient(nhsNumber), sk: keys.profile } }),
      );
      return Item
        ? { profile: Item.profile, enrolledAt: Item.enrolledAt, idempotency: Item.idempotency }
        : null;
    },

    /** One conditional put: the profile exists once. Its events ride on the item (the outbox). */
    async enrolPatient(record: PatientRecord, events: DomainEvent[]): Promise<void> {
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

    /** The current state is the newest revision. */
    async currentPlan(nhsNumber: string): Promise<Plan | null> {
      const { Items } = await query({
        KeyConditionExpression: 'pk = :pk and begins_with(sk, :rev)',
        ExpressionAttributeValues: { ':pk': keys.patient(nhsNumber), ':rev': keys.revisionPrefix },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      });
      return (Items?.[0]?.plan as Plan | undefined) ?? null;
    },

    async revision(nhsNumber: string, revision: number): Promise<RevisionRecord | null> {
      const { Item } = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: keys.patient(nhsNumber), sk: keys.revision(revision) },
          ConsistentRead: true,
        }),
      );
      return (Item as RevisionRecord | undefined) ?? null;
    },

    /**
     * Every command is this one conditional put of revision n+1: the optimistic-concurrency
     * check, the version history and the outbox at once (DESIGN.md).
     */
    async appendRevision(record: RevisionRecord): Promise<void> {
      const item = revisionItem(record);
      if (Buffer.byteLength(JSON.stringify(item)) > maxRevisionBytes) {
        throw new PlanTooLarge('the plan is too large to store');
      }
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(sk)',
          }),
        );
      } catch (error) {
        if (isConditionFailure(error)) throw new PlanRevisionConflict('another change was saved first');
        throw error;
      }
    },

    async listVersions(nhsNumber: string, page: PageRequest): Promise<Page<PublishedVersion>> {
      const after = decodeCursor(page.next, ['sk', 'versionSk']);
      const result = await query({
        IndexName: table.versionIndex.name,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.patient(nhsNumber) },
        ScanIndexForward: false,
        Limit: page.limit,
        ...(after && { ExclusiveStartKey: { pk: keys.patient(nhsNumber), ...after } }),
      });
      const last = result.LastEvaluatedKey;
      return {
        items: (result.Items ?? []).map((item) => item.plan.published as PublishedVersion),
        ...(last && { next: encodeCursor({ sk: last.sk, versionSk: last.versionSk }) }),
      };
    },

    async getVersion(nhsNumber: string, version: number): Promise<PublishedVersion | null> {
      const { Items } = await query({
        IndexName: table.versionIndex.name,
        KeyConditionExpression: 'pk = :pk and versionSk = :v',
        ExpressionAttributeValues: { ':pk': keys.patient(nhsNumber), ':v': keys.version(version) },
      });
      return (Items?.[0]?.plan.published as PublishedVersion | undefined) ?? null;
    },

    /** Written before any plan data is returned: no unaudited access. */
    async recordAccess(record: AccessRecord): Promise<void> {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: keys.patient(record.nhsNumber),
            sk: keys.access(record.at, record.id),
            type: 'access',
            ...record,
          },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
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
      const after = decodeCursor(page.next, ['reads', 'changes']);
      const pk = keys.patient(nhsNumber);
      const source = async (prefix: string, position: string | undefined, who: 'actor' | 'by') => {
        if (position === done) return { items: [], lastSk: undefined };
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
          Limit: page.limit,
          ...(position && { ExclusiveStartKey: { pk, sk: position } }),
        });
        return { items: result.Items ?? [], lastSk: result.LastEvaluatedKey?.sk as string | undefined };
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

    async listAwaitingRatification(organisation: string, page: PageRequest): Promise<Page<WorklistItem>> {
      const after = decodeCursor(page.next, ['sk']);
      const result = await query({
        KeyConditionExpression: 'pk = :pk and begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.organisation(organisation), ':prefix': keys.awaitingPrefix },
        Limit: page.limit,
        ...(after && { ExclusiveStartKey: { pk: keys.organisation(organisation), sk: after.sk } }),
      });
      const last = result.LastEvaluatedKey;
      return {
        items: (result.Items ?? []).map((item) => ({
          nhsNumber: item.nhsNumber,
          submittedAt: item.submittedAt,
          submittedBy: item.submittedBy,
          ...(item.clinician && { clinician: item.clinician }),
        })),
        ...(last && { next: encodeCursor({ sk: last.sk }) }),
      };
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

export type PlanRepository = ReturnType<typeof createPlanRepository>;
