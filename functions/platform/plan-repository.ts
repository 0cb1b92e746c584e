import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import type { AccessRecord } from '../../domain/access.ts';
import type { PlanCommandName } from '../../domain/actions.ts';
import type { ActorRef } from '../../domain/actor.ts';
import type { DomainEvent } from '../../domain/events.ts';
import type { OrganisationEntry } from '../../domain/organisation.ts';
import { type PatientProfile, type Plan, type PublishedVersion, planStatus } from '../../domain/plan.ts';
import { keys, table } from './table.ts';

/** The `PROFILE` item: the patient as enrolled, and the care team before any plan. */
export type PatientRecord = { profile: PatientProfile; careTeam: string[]; enrolledAt: string };

export type RevisionRecord = {
  plan: Plan;
  command: PlanCommandName;
  by: ActorRef;
  at: string;
  events: DomainEvent[];
  /** The version this revision published, as the domain decided (domain/lifecycle.ts versionPublishedBy). */
  publishedVersion?: number;
};

export type { AccessRecord };

/** One revision of a registry entry (`ORG#<ods>` / `REV#<n>`), with the event it raised. */
export type OrganisationRevisionRecord = OrganisationEntry & { events: DomainEvent[] };

/** How long a delivery record is kept: longer than any redelivery (EventBridge retries for 24 hours). */
const deliveryRetentionSeconds = 90 * 24 * 60 * 60;

/** Delivery records key on a hash of the address: the table never holds it in a key. */
const addressHash = (address: string): string =>
  createHash('sha256').update(address.trim().toLowerCase()).digest('hex');

type StoredItem = NonNullable<QueryCommandOutput['Items']>[number];

export type Page<T> = { items: T[]; next?: string };
export type PageRequest = { limit: number; next?: string };

/** Lost the race for revision n+1: someone else wrote it first. */
export class PlanRevisionConflict extends Error {
  override name = 'PlanRevisionConflict';
}
/** Lost the race for the next revision of a registry entry. */
export class OrganisationRevisionConflict extends Error {
  override name = 'OrganisationRevisionConflict';
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

const isConditionFailure = (error: unknown): boolean => error instanceof ConditionalCheckFailedException;

export const createPlanRepository = (client: DynamoDBDocumentClient, tableName: string) => {
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

  const revisionItem = ({ publishedVersion, ...record }: RevisionRecord) => {
    const { plan } = record;
    return {
      pk: keys.patient(plan.nhsNumber),
      sk: keys.revision(plan.revision),
      type: 'revision',
      revision: plan.revision,
      status: planStatus(plan),
      ...record,
      // Only a revision that published a version is in the sparse version index.
      ...(publishedVersion !== undefined && { [table.versionIndex.sortKey]: keys.version(publishedVersion) }),
    };
  };

  return {
    async getPatient(nhsNumber: string): Promise<PatientRecord | null> {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: { pk: keys.patient(nhsNumber), sk: keys.profile } }),
      );
      return Item ? { profile: Item.profile, careTeam: Item.careTeam, enrolledAt: Item.enrolledAt } : null;
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
     * check, the version history and the outbox at once (docs/design.md "Data").
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

    /**
     * A registry entry changes as a plan does: one conditional put of its next revision, which
     * carries the `Organisation.Updated` event (the outbox) and keeps every earlier revision.
     */
    async appendOrganisationRevision(record: OrganisationRevisionRecord): Promise<void> {
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

    /** The entry as it is now: its newest revision. */
    async getOrganisation(ods: string): Promise<OrganisationEntry | null> {
      const { Items } = await query({
        KeyConditionExpression: 'pk = :pk and begins_with(sk, :rev)',
        ExpressionAttributeValues: { ':pk': keys.organisation(ods), ':rev': keys.revisionPrefix },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      });
      const item = Items?.[0];
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
     * Claims the sending of one event's message to one address, for a while: the claim lapses
     * after `deliveryLeaseMs`, so a send cut short (a timeout, a crash) is tried again, while a
     * message recorded as sent never is. Answers whether to send now, or what stops it. The
     * record keeps a hash of the address, never the address, and expires after 90 days.
     */
    async claimDelivery(eventId: string, address: string, at: Date = new Date()): Promise<DeliveryClaim> {
      const key = { pk: keys.delivery(eventId), sk: keys.deliveryTo(addressHash(address)) };
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...key,
              type: 'delivery',
              eventId,
              state: 'sending',
              claimedAt: at.toISOString(),
              leaseUntil: at.getTime() + deliveryLeaseMs,
              [table.timeToLive]: Math.floor(at.getTime() / 1000) + deliveryRetentionSeconds,
            },
            ConditionExpression: 'attribute_not_exists(sk) OR (#state = :sending AND leaseUntil < :now)',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':sending': 'sending', ':now': at.getTime() },
          }),
        );
        return 'claimed';
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const { Item } = await client.send(
          new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
        );
        return Item?.state === 'sent' ? 'alreadySent' : 'inFlight';
      }
    },

    /** Records the message as sent: no redelivery of the event sends it again. */
    async markDelivered(eventId: string, address: string, at: Date = new Date()): Promise<void> {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            pk: keys.delivery(eventId),
            sk: keys.deliveryTo(addressHash(address)),
            type: 'delivery',
            eventId,
            state: 'sent',
            sentAt: at.toISOString(),
            [table.timeToLive]: Math.floor(at.getTime() / 1000) + deliveryRetentionSeconds,
          },
        }),
      );
    },

    async releaseDelivery(eventId: string, address: string): Promise<void> {
      await client.send(
        new DeleteCommand({
          TableName: tableName,
          Key: { pk: keys.delivery(eventId), sk: keys.deliveryTo(addressHash(address)) },
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

/** `claimed`: send it now. `alreadySent`: a delivery did. `inFlight`: another delivery is sending it. */
export type DeliveryClaim = 'claimed' | 'alreadySent' | 'inFlight';

/** Longer than the notifications function may run (60 s), so a live send is never claimed twice. */
const deliveryLeaseMs = 90_000;

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

export type PlanRepository = ReturnType<typeof createPlanRepository>;
