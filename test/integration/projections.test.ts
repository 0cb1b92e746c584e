import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/platform/table.ts';
import { lambdaContext } from '../../local/api-gateway.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.ts';
import {
  freshNhsNumber,
  GP_PRACTICE,
  gp,
  HOSPICE,
  hospiceConsultant,
  hospiceNurse,
  PlanStory,
  patientRecord,
  revisionItem,
} from '../support/fixtures.ts';
import { dynamoStore, type Store } from '../support/store.ts';

type ProjectionsModule = typeof import('../../functions/consumers/projections.ts');

let db: TestDynamo;
let store: Store;
let handler: ProjectionsModule['handler'];

beforeAll(async () => {
  db = await startTestDynamo('ucp-projections-test');
  store = dynamoStore(db.doc, db.tableName);
  // The consumer's document client is made on first use from the environment: set it first.
  process.env.TABLE_NAME = db.tableName;
  process.env.DYNAMODB_ENDPOINT = db.dynamo.endpoint;
  process.env.AWS_REGION = 'eu-west-2';
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  ({ handler } = await import('../../functions/consumers/projections.ts'));
});
afterAll(async () => {
  await db?.close();
});

let sequence = 100;
/** A DynamoDB stream record as Lambda receives it (NEW_AND_OLD_IMAGES view, INSERT). */
const streamRecord = (
  item: Record<string, unknown>,
  eventName: DynamoDBRecord['eventName'] = 'INSERT',
): DynamoDBRecord => ({
  eventID: `event-${++sequence}`,
  eventName,
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'eu-west-2',
  dynamodb: {
    ApproximateCreationDateTime: 1_795_000_000,
    Keys: marshall({ pk: item.pk, sk: item.sk }) as never,
    ...(eventName !== 'REMOVE' && {
      NewImage: marshall(item, { removeUndefinedValues: true }) as never,
    }),
    SequenceNumber: String(sequence).padStart(21, '0'),
    SizeBytes: 1024,
    StreamViewType: 'NEW_AND_OLD_IMAGES',
  },
  eventSourceARN: 'arn:aws:dynamodb:eu-west-2:123456789012:table/ucp/stream/2026-11-21T00:00:00.000',
});
const deliver = (...records: DynamoDBRecord[]) =>
  handler({ Records: records } satisfies DynamoDBStreamEvent, lambdaContext('projections'));

/** Appends a story's new revisions to the table, as the API would, and returns their stream records. */
const commit = async (story: PlanStory, from: number) => {
  const records = story.records.slice(from);
  for (const record of records) await store.plans.append(record);
  return records.map((r) => streamRecord(revisionItem(r)));
};

const get = async (pk: string, sk: string) =>
  (await db.doc.send(new GetCommand({ TableName: db.tableName, Key: { pk, sk }, ConsistentRead: true })))
    .Item;
/** The entry as the worklist sees it: undefined when absent or cleared (a tombstone kept for its revision). */
const awaiting = async (organisation: string, nhs: string) => {
  const item = await get(keys.organisation(organisation), keys.awaitingRatification(nhs));
  return item?.state === 'awaiting' ? item : undefined;
};

describe('awaiting-ratification projection', () => {
  it('submit creates ORG#<ods> / AWAITING#<nhs>, which the worklist lists', async () => {
    const nhs = freshNhsNumber();
    const story = new PlanStory(nhs);
    story.create(hospiceNurse);
    const submit = story.submit(hospiceNurse, GP_PRACTICE, 'dr.patel');
    const [created, submitted] = await commit(story, 0);

    await deliver(created as DynamoDBRecord, submitted as DynamoDBRecord);

    expect(await awaiting(GP_PRACTICE, nhs)).toEqual({
      pk: `ORG#${GP_PRACTICE}`,
      sk: `AWAITING#${nhs}`,
      type: 'awaitingRatification',
      state: 'awaiting',
      revision: 2,
      nhsNumber: nhs,
      submittedAt: submit.at,
      submittedBy: { id: hospiceNurse.id, role: 'nurse', organisation: HOSPICE },
      clinician: 'dr.patel',
    });
    const worklist = await store.worklists.awaitingRatification(GP_PRACTICE, { limit: 200 });
    expect(worklist.items.filter((i) => i.nhsNumber === nhs)).toEqual([
      {
        nhsNumber: nhs,
        submittedAt: submit.at,
        submittedBy: { id: hospiceNurse.id, role: 'nurse', organisation: HOSPICE },
        clinician: 'dr.patel',
      },
    ]);
  });

  it('a later ratify removes it', async () => {
    const nhs = freshNhsNumber();
    const story = new PlanStory(nhs);
    story.create(hospiceNurse);
    story.submit(hospiceNurse, GP_PRACTICE);
    const [created, submitted] = await commit(story, 0);
    await deliver(created as DynamoDBRecord, submitted as DynamoDBRecord);
    expect(await awaiting(GP_PRACTICE, nhs)).toMatchObject({ revision: 2 });

    story.ratify(gp);
    const [ratified] = await commit(story, 2);
    await deliver(ratified as DynamoDBRecord);

    expect(await awaiting(GP_PRACTICE, nhs)).toBeUndefined();
  });

  it('a later return removes it', async () => {
    const nhs = freshNhsNumber();
    const story = new PlanStory(nhs);
    story.create(hospiceNurse);
    story.submit(hospiceNurse, GP_PRACTICE);
    story.returnToAuthor(gp, 'please add a contact');
    const records = await commit(story, 0);

    await deliver(...records);

    expect(await awaiting(GP_PRACTICE, nhs)).toBeUndefined();
  });

  it('a redelivered submit record changes nothing while the plan waits', async () => {
    const nhs = freshNhsNumber();
    const story = new PlanStory(nhs);
    story.create(hospiceNurse);
    story.submit(hospiceNurse, GP_PRACTICE);
    const [created, submitted] = await commit(story, 0);
    await deliver(created as DynamoDBRecord, submitted as DynamoDBRecord);
    const first = await awaiting(GP_PRACTICE, nhs);

    await deliver(submitted as DynamoDBRecord, submitted as DynamoDBRecord);

    expect(await awaiting(GP_PRACTICE, nhs)).toEqual(first);
  });

  it('redelivering the older submit record after the ratify does not resurrect the worklist entry', async () => {
    const nhs = freshNhsNumber();
    const story = new PlanStory(nhs);
    story.create(hospiceNurse);
    story.submit(hospiceNurse, GP_PRACTICE);
    story.ratify(gp);
    const [created, submitted, ratified] = await commit(story, 0);
    await deliver(created as DynamoDBRecord, submitted as DynamoDBRecord, ratified as DynamoDBRecord);
    expect(await awaiting(GP_PRACTICE, nhs)).toBeUndefined();
    expect(await get(keys.organisation(GP_PRACTICE), keys.awaitingRatification(nhs))).toMatchObject({
      state: 'cleared',
      revision: 3,
      expiresAt: expect.any(Number),
    });

    // Lambda retries a batch, or the stream hands a shard's records over again.
    await deliver(submitted as DynamoDBRecord);

    expect(await awaiting(GP_PRACTICE, nhs)).toBeUndefined();
    const worklist = await store.worklists.awaitingRatification(GP_PRACTICE, { limit: 200 });
    expect(worklist.items.map((i) => i.nhsNumber)).not.toContain(nhs);
  });

  it('redelivering the older submit record after a return does not resurrect the worklist entry', async () => {
    const nhs = freshNhsNumber();
    const story = new PlanStory(nhs);
    story.create(hospiceNurse);
    story.submit(hospiceNurse, GP_PRACTICE);
    story.returnToAuthor(gp);
    const [created, submitted, returned] = await commit(story, 0);
    await deliver(created as DynamoDBRecord, submitted as DynamoDBRecord, returned as DynamoDBRecord);

    await deliver(submitted as DynamoDBRecord);

    expect(await awaiting(GP_PRACTICE, nhs)).toBeUndefined();
  });

  it('a withdrawal while the plan waits clears it, and the worklist never shows a cleared entry', async () => {
    const nhs = freshNhsNumber();
    const story = new PlanStory(nhs);
    story.create(hospiceNurse);
    story.submit(hospiceNurse, GP_PRACTICE);
    story.withdraw(gp);
    await deliver(...((await commit(story, 0)) as DynamoDBRecord[]));

    expect(await awaiting(GP_PRACTICE, nhs)).toBeUndefined();
    const worklist = await store.worklists.awaitingRatification(GP_PRACTICE, { limit: 200 });
    expect(worklist.items.map((i) => i.nhsNumber)).not.toContain(nhs);
    for (const item of worklist.items) {
      expect(item).toEqual({
        nhsNumber: expect.any(String),
        submittedAt: expect.any(String),
        submittedBy: expect.any(Object),
        ...(item.clinician !== undefined && { clinician: item.clinician }),
      });
    }
  });

  it('a resubmission to another organisation moves the entry', async () => {
    const nhs = freshNhsNumber();
    const story = new PlanStory(nhs);
    story.create(hospiceNurse);
    story.submit(hospiceNurse, GP_PRACTICE);
    story.returnToAuthor(gp);
    const resubmit = story.submit(hospiceNurse, HOSPICE);
    const records = await commit(story, 0);

    await deliver(...records);

    expect(await awaiting(GP_PRACTICE, nhs)).toBeUndefined();
    expect(await awaiting(HOSPICE, nhs)).toEqual({
      pk: `ORG#${HOSPICE}`,
      sk: `AWAITING#${nhs}`,
      type: 'awaitingRatification',
      state: 'awaiting',
      revision: 4,
      nhsNumber: nhs,
      submittedAt: resubmit.at,
      submittedBy: { id: hospiceNurse.id, role: 'nurse', organisation: HOSPICE },
    });
  });
});

describe('care-team projection', () => {
  const aboutMe = { aboutMe: { whatMattersToMe: 'my garden' } };
  const teamItems = async (nhs: string) =>
    (
      await db.doc.send(
        new QueryCommand({
          TableName: db.tableName,
          KeyConditionExpression: 'pk = :pk and begins_with(sk, :team)',
          ExpressionAttributeValues: { ':pk': keys.patient(nhs), ':team': 'TEAM#' },
          ConsistentRead: true,
        }),
      )
    ).Items;
  const listed = async (organisation: string) =>
    (await store.worklists.patientsOf(organisation, { limit: 200 })).items;

  it('gives each care-team organisation a TEAM# item with the GSI keys, the plan status and review date', async () => {
    const nhs = freshNhsNumber();
    await store.patients.enrol(patientRecord(nhs), []);
    const story = new PlanStory(nhs, undefined, [GP_PRACTICE]);
    const created = story.create(gp); // care team: the GP practice, who enrolled the patient
    story.edit(gp, { review: { date: '2027-05-20' } });
    const submitted = story.submit(gp, HOSPICE); // the hospice joins
    story.ratify(hospiceConsultant);
    expect(story.current.careTeam).toEqual([GP_PRACTICE, HOSPICE]);
    const records = await commit(story, 0);

    await deliver(...records);

    const link = (ods: string, since: string) => ({
      pk: `PATIENT#${nhs}`,
      sk: `TEAM#${ods}`,
      type: 'careTeam',
      state: 'member',
      nhsNumber: nhs,
      organisation: ods,
      status: 'published',
      reviewDate: '2027-05-20',
      revision: 4,
      since,
      gsi1pk: `ORG#${ods}`,
      gsi1sk: `PATIENT#${nhs}`,
    });
    expect(await teamItems(nhs)).toEqual([link(GP_PRACTICE, created.at), link(HOSPICE, submitted.at)]);
    // The organisation's patients, through the care-team index.
    expect(await listed(HOSPICE)).toContainEqual({
      nhsNumber: nhs,
      status: 'published',
      reviewDate: '2027-05-20',
    });
  });

  it('an enrolment links its care team as enrolled, and never over a link a revision made', async () => {
    const nhs = freshNhsNumber();
    const record = patientRecord(nhs);
    await store.patients.enrol(record, []);
    const profileItem = { pk: keys.patient(nhs), sk: keys.profile, type: 'patient', ...record };
    await deliver(streamRecord(profileItem));
    expect(await listed(HOSPICE)).toContainEqual({ nhsNumber: nhs, status: 'enrolled', reviewDate: null });

    const story = new PlanStory(nhs);
    story.create(hospiceNurse, aboutMe);
    await deliver(...(await commit(story, 0)));
    // A redelivered enrolment changes nothing.
    await deliver(streamRecord(profileItem));
    expect(await listed(HOSPICE)).toContainEqual({ nhsNumber: nhs, status: 'draft', reviewDate: null });
    expect(await listed(GP_PRACTICE)).toContainEqual({ nhsNumber: nhs, status: 'draft', reviewDate: null });
  });

  it('a removed organisation leaves a tombstone out of the index: an older revision redelivered cannot add it back', async () => {
    const nhs = freshNhsNumber();
    const story = new PlanStory(nhs, undefined, [GP_PRACTICE]);
    story.create(gp, aboutMe);
    story.join(gp, 'RYX21');
    story.leave(gp, 'RYX21');
    const records = await commit(story, 0);
    await deliver(...records);

    expect((await listed('RYX21')).map((p) => p.nhsNumber)).not.toContain(nhs);
    const tombstone = await get(keys.patient(nhs), keys.team('RYX21'));
    expect(tombstone).toMatchObject({ state: 'left', revision: 3 });
    expect(tombstone).not.toHaveProperty('gsi1pk');

    // The revision that added it, delivered again (the stream is at least once): still gone.
    await deliver(records[1] as DynamoDBRecord, records[0] as DynamoDBRecord);
    expect((await listed('RYX21')).map((p) => p.nhsNumber)).not.toContain(nhs);
    expect(await get(keys.patient(nhs), keys.team('RYX21'))).toMatchObject({ state: 'left', revision: 3 });
    expect(await listed(GP_PRACTICE)).toContainEqual({ nhsNumber: nhs, status: 'draft', reviewDate: null });
  });

  it("lists an organisation's patients a page at a time, with a cursor only this listing accepts", async () => {
    const ods = 'RYX31';
    const nhsNumbers = [freshNhsNumber(), freshNhsNumber(), freshNhsNumber()];
    for (const nhs of nhsNumbers) {
      const story = new PlanStory(nhs, undefined, [GP_PRACTICE]);
      story.create(gp);
      story.join(gp, ods);
      await deliver(...(await commit(story, 0)));
    }
    const seen: string[] = [];
    let next: string | undefined;
    do {
      const page = await store.worklists.patientsOf(ods, { limit: 2, ...(next && { next }) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((p) => p.nhsNumber));
      next = page.next;
    } while (next);
    expect(seen.sort()).toEqual([...nhsNumbers].sort());
    await expect(store.worklists.patientsOf(ods, { limit: 2, next: 'bm90LW91cnM' })).rejects.toThrow(
      /cursor/,
    );
  });
});

describe('what the consumer ignores', () => {
  it('writes nothing for access records, carer grants, modifications and removals', async () => {
    const nhs = freshNhsNumber();
    const story = new PlanStory(nhs);
    story.create(hospiceNurse);
    story.submit(hospiceNurse, GP_PRACTICE);
    const submittedItem = revisionItem(story.records[1] as never);
    const before = (await db.doc.send(new ScanCommand({ TableName: db.tableName }))).Items?.length;

    await deliver(
      streamRecord({
        pk: keys.patient(nhs),
        sk: keys.access('2026-11-21T10:00:00.000Z', '01JACCESS'),
        type: 'access',
        nhsNumber: nhs,
      }),
      streamRecord({ pk: keys.patient(nhs), sk: keys.carerGrant('1'), type: 'carerGrant', grant: {} }),
      streamRecord(submittedItem, 'MODIFY'),
      streamRecord(submittedItem, 'REMOVE'),
    );

    const after = (await db.doc.send(new ScanCommand({ TableName: db.tableName }))).Items?.length;
    expect(after).toBe(before);
    expect(await awaiting(GP_PRACTICE, nhs)).toBeUndefined();
  });
});
