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
import type { Organisation } from '../../domain/organisation.ts';
import { type PatientProfile, type Plan, type PublishedVersion, planStatus } from '../../domain/plan.ts';
import { keys, table } from './table.ts';

/** The `PROFILE` item: the patient as enrolled, and the care team before any plan. */
export type PatientRecord = { profile: PatientProfile; careTeam: string[]; enrolledAt: string };

export type RevisionRecord = {
  plan: Plan;
  command: string;
  by: ActorRef;
  at: string;
  events: DomainEvent[];
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

/** An organisation in the registry (`ORG#<ods>` / `PROFILE`), with who wrote it last and when. */
export type OrganisationRecord = {
  ods: string;
  organisation: Organisation;
  updatedAt: string;
  updatedBy: ActorRef;
};

/** Lost the race for revision n+1: someone else wrote it first. */
export class PlanRevisionConflict extends Error {
  override name = 'PlanRevisionConflict';
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
            // The same write files a break-glass read under the reader's organisation, for its privacy officer.
            ...(record.breakGlass &&
              record.actor.organisation && {
                [table.teamIndex.partitionKey]: keys.breakGlass(record.actor.organisation),
                [table.teamIndex.sortKey]: `${record.at}#${record.id}`,
              }),
          },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
    },

    /** Writes (or replaces) an organisation in the registry. */
    async putOrganisation(
      ods: string,
      organisation: Organisation,
      updated: { at: string; by: ActorRef },
    ): Promise<void> {
      const record: OrganisationRecord = { ods, organisation, updatedAt: updated.at, updatedBy: updated.by };
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: { pk: keys.organisation(ods), sk: keys.profile, type: 'organisation', ...record },
        }),
      );
    },

    async getOrganisation(ods: string): Promise<OrganisationRecord | null> {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: { pk: keys.organisation(ods), sk: keys.profile } }),
      );
      return Item
        ? {
            ods: Item.ods,
            organisation: Item.organisation as Organisation,
            updatedAt: Item.updatedAt,
            updatedBy: Item.updatedBy,
          }
        : null;
    },
  };
};

export type PlanRepository = ReturnType<typeof createPlanRepository>;
