import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
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
/** DynamoDB's limit is 400 KB an item; keep well clear so a plan always fits with its events. */
const maxRevisionBytes = 300_000;
export class PlanTooLarge extends Error {
  override name = 'PlanTooLarge';
}

const isConditionFailure = (error: unknown): boolean => error instanceof ConditionalCheckFailedException;

export const createPlanRepository = (client: DynamoDBDocumentClient, tableName: string) => {
  const query = async (input: Omit<QueryCommandInput, 'TableName'>) =>
    client.send(new QueryCommand({ TableName: tableName, ...input }));

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
  };
};

export type PlanRepository = ReturnType<typeof createPlanRepository>;
