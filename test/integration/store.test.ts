import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ActorRef } from '../../domain/actor.ts';
import type { PublishedVersion } from '../../domain/plan.ts';
import {
  type AccessLogEntry,
  type AccessRecord,
  type Page,
  PatientAlreadyEnrolled,
  PlanRevisionConflict,
  PlanTooLarge,
  type RevisionRecord,
} from '../../functions/platform/ports.ts';
import { InvalidCursor } from '../../functions/platform/store/cursor.ts';
import { keys } from '../../functions/platform/table.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.ts';
import {
  AMBULANCE,
  freshNhsNumber,
  GP_PRACTICE,
  gp,
  HOSPICE,
  hospiceConsultant,
  hospiceNurse,
  PlanStory,
  patientRecord,
  staff,
} from '../support/fixtures.ts';
import { dynamoStore, type Store } from '../support/store.ts';

let db: TestDynamo;
let store: Store;

beforeAll(async () => {
  db = await startTestDynamo('ucp-repository-test');
  store = dynamoStore(db.doc, db.tableName);
});
afterAll(async () => {
  await db?.close();
});
beforeEach(() => {
  db.operations.length = 0;
});

const cursor = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const rawItem = async (pk: string, sk: string) =>
  (await db.doc.send(new GetCommand({ TableName: db.tableName, Key: { pk, sk } }))).Item;

/** Follows `next` to the end; fails if a listing never ends. */
const walk = async <T>(load: (next?: string) => Promise<Page<T>>) => {
  const pages: T[][] = [];
  let next: string | undefined;
  do {
    const page = await load(next);
    pages.push(page.items);
    next = page.next;
    if (pages.length > 100) throw new Error('the listing did not end');
  } while (next !== undefined);
  return { pages, items: pages.flat() };
};

/** A run of full pages, then at most one short final page (which may be empty when DynamoDB could not tell it was done). */
const expectPageSizes = (pages: unknown[][], limit: number, total: number) => {
  const full = Math.floor(total / limit);
  const sizes = pages.map((p) => p.length);
  expect(sizes.slice(0, full)).toEqual(Array(full).fill(limit));
  const rest = sizes.slice(full);
  const remainder = total - full * limit;
  expect(rest.length).toBeLessThanOrEqual(1);
  expect(rest[0] ?? 0).toBe(remainder);
};

describe('patients', () => {
  it('enrols a patient once, with its events on the profile item, and reads it back', async () => {
    const nhs = freshNhsNumber();
    const record = patientRecord(nhs);
    const events = [
      {
        id: 'evt-enrol-1',
        type: 'Patient.Enrolled' as const,
        at: record.enrolledAt,
        detail: { nhsNumber: nhs, gpPractice: GP_PRACTICE, enrolledBy: { id: gp.id, role: gp.role } },
      },
    ];

    await store.patients.enrol(record, events);

    expect(db.operations).toEqual(['PutItem']);
    expect(await store.patients.get(nhs)).toEqual(record);
    expect(await rawItem(keys.patient(nhs), keys.profile)).toEqual({
      pk: `PATIENT#${nhs}`,
      sk: 'PROFILE',
      type: 'patient',
      ...record,
      events,
    });
  });

  it('refuses a second enrolment with PatientAlreadyEnrolled and keeps the first', async () => {
    const nhs = freshNhsNumber();
    const first = patientRecord(nhs, '2026-11-20T09:00:00.000Z');
    await store.patients.enrol(first, []);

    const second = {
      ...patientRecord(nhs, '2026-11-22T09:00:00.000Z'),
      profile: { ...first.profile, postcode: 'LS1 4AP' },
    };
    const error = await store.patients.enrol(second, []).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PatientAlreadyEnrolled);
    expect((error as Error).message).toBe('the patient is already enrolled');
    expect(await store.patients.get(nhs)).toEqual(first);
  });

  it('answers null for a patient never enrolled', async () => {
    expect(await store.patients.get(freshNhsNumber())).toBeNull();
  });
});

describe('revisions', () => {
  it('appends revisions 1..n and the current plan is always the newest', async () => {
    const nhs = freshNhsNumber();
    const story = new PlanStory(nhs);
    const records = [
      story.create(),
      story.edit(),
      story.edit(gp, { review: { date: '2027-06-01' } }),
      story.submit(),
      story.ratify(),
    ];
    expect(await store.plans.current(nhs)).toBeNull();

    // Other items in the partition sort before (ACCESS#, PROFILE) and after (TEAM#) the revisions.
    await store.patients.enrol(patientRecord(nhs), []);
    await db.doc.send(
      new PutCommand({
        TableName: db.tableName,
        Item: { pk: keys.patient(nhs), sk: keys.team('ZZZ999'), type: 'careTeam' },
      }),
    );
    for (const record of records) {
      await store.plans.append(record);
      expect(await store.plans.current(nhs)).toEqual(record.plan);
    }

    expect((await store.plans.current(nhs))?.revision).toBe(5);
    expect(await store.plans.revision(nhs, 3)).toEqual({
      pk: keys.patient(nhs),
      sk: 'REV#000000003',
      type: 'revision',
      revision: 3,
      status: 'draft',
      ...records[2],
    });
    expect(await store.plans.revision(nhs, 6)).toBeNull();
  });

  it('makes exactly one PutItem, conditional on the revision being new, per appended revision', async () => {
    const nhs = freshNhsNumber();
    const story = new PlanStory(nhs);
    await store.plans.append(story.create());
    db.operations.length = 0;

    await store.plans.append(story.edit());

    expect(db.operations).toEqual(['PutItem']);
  });

  it('lets exactly one of 20 racing writers have the next revision; the rest get PlanRevisionConflict', async () => {
    const nhs = freshNhsNumber();
    const story = new PlanStory(nhs);
    const first = story.create();
    await store.plans.append(first);
    const base = story.current;
    db.operations.length = 0;

    const writers: RevisionRecord[] = Array.from({ length: 20 }, (_, i) => {
      const by: ActorRef = { id: `writer-${i}`, role: 'gp', organisation: GP_PRACTICE };
      return {
        plan: { ...base, revision: 2, updatedAt: `2026-11-21T11:00:${String(i).padStart(2, '0')}.000Z` },
        command: 'edit',
        by,
        at: `2026-11-21T11:00:${String(i).padStart(2, '0')}.000Z`,
        events: [],
      };
    });
    const results = await Promise.allSettled(writers.map((w) => store.plans.append(w)));

    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    for (const loss of lost) {
      expect(loss.reason).toBeInstanceOf(PlanRevisionConflict);
      expect((loss.reason as Error).message).toBe('another change was saved first');
    }
    expect(db.operations).toEqual(Array(20).fill('PutItem'));
    const winner = writers[won[0] as number] as RevisionRecord;
    expect(await store.plans.revision(nhs, 2)).toMatchObject({
      by: winner.by,
      at: winner.at,
      plan: winner.plan,
    });
    expect(await store.plans.current(nhs)).toEqual(winner.plan);
  });

  it('refuses to overwrite an existing revision', async () => {
    const nhs = freshNhsNumber();
    const story = new PlanStory(nhs);
    const first = story.create();
    await store.plans.append(first);

    const rewrite = { ...first, by: { id: 'intruder', role: 'gp' as const, organisation: 'X99999' } };
    await expect(store.plans.append(rewrite)).rejects.toBeInstanceOf(PlanRevisionConflict);
    expect((await store.plans.revision(nhs, 1))?.by).toEqual(first.by);
  });

  it('refuses a plan too large to store, writing nothing, and stores a large plan below the limit', async () => {
    const nhs = freshNhsNumber();
    const story = new PlanStory(nhs);
    const tooLarge = story.create(gp, { aboutMe: { whatMattersToMe: 'x'.repeat(310_000) } });
    db.operations.length = 0;

    const error = await store.plans.append(tooLarge).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PlanTooLarge);
    expect((error as Error).message).toBe('the plan is too large to store');
    expect(db.operations).toEqual([]);
    expect(await store.plans.current(nhs)).toBeNull();

    const other = freshNhsNumber();
    const large = new PlanStory(other).create(gp, { aboutMe: { whatMattersToMe: 'y'.repeat(250_000) } });
    await store.plans.append(large);
    expect(await store.plans.current(other)).toEqual(large.plan);
  });

  it('counts a plan in bytes, not characters', async () => {
    const nhs = freshNhsNumber();
    // 110,000 three-byte characters: 330 KB as UTF-8, though only 110,000 characters long.
    const record = new PlanStory(nhs).create(gp, { aboutMe: { whatMattersToMe: '€'.repeat(110_000) } });
    await expect(store.plans.append(record)).rejects.toBeInstanceOf(PlanTooLarge);
  });
});

describe('published versions', () => {
  /** Three versions, then withdrawn: the withdraw revision still carries `published` but is no version. */
  const publishedThrice = async () => {
    const nhs = freshNhsNumber();
    const story = PlanStory.published(nhs, 3);
    story.withdraw();
    for (const record of story.records) await store.plans.append(record);
    const versions = story.records
      .filter((r) => r.command === 'ratify')
      .map((r) => r.plan.published as PublishedVersion);
    return { nhs, story, versions };
  };

  it('lists only ratify revisions, newest version first', async () => {
    const { nhs, story, versions } = await publishedThrice();
    expect(story.records.map((r) => r.command)).toEqual([
      'create',
      'submit',
      'ratify',
      'edit',
      'submit',
      'ratify',
      'edit',
      'submit',
      'ratify',
      'withdraw',
    ]);
    expect(story.current.published?.version).toBe(3);

    const page = await store.plans.versions(nhs, { limit: 50 });

    expect(page.items.map((v) => v.version)).toEqual([3, 2, 1]);
    expect(page.items).toEqual([...versions].reverse());
    expect(page.next).toBeUndefined();
    // The sparse index key is only on the revisions that published.
    expect((await rawItem(keys.patient(nhs), keys.revision(3)))?.versionSk).toBe('VERSION#000000001');
    expect((await rawItem(keys.patient(nhs), keys.revision(4)))?.versionSk).toBeUndefined();
    expect((await rawItem(keys.patient(nhs), keys.revision(10)))?.versionSk).toBeUndefined();
  });

  it('pages one version at a time: limit 1 and next walk them all, newest first', async () => {
    const { nhs, versions } = await publishedThrice();

    const { pages, items } = await walk((next) => store.plans.versions(nhs, { limit: 1, next }));

    expect(items).toEqual([...versions].reverse());
    expectPageSizes(pages, 1, 3);

    const { pages: byTwo, items: all } = await walk((next) => store.plans.versions(nhs, { limit: 2, next }));
    expect(all.map((v) => v.version)).toEqual([3, 2, 1]);
    expectPageSizes(byTwo, 2, 3);
  });

  it('gets one version by number, and null for a version never published', async () => {
    const { nhs, versions } = await publishedThrice();
    for (const version of versions) {
      expect(await store.plans.version(nhs, version.version)).toEqual(version);
    }
    expect(await store.plans.version(nhs, 4)).toBeNull();
    expect(await store.plans.version(freshNhsNumber(), 1)).toBeNull();
  });

  it('lists nothing for a plan never ratified', async () => {
    const nhs = freshNhsNumber();
    const story = new PlanStory(nhs);
    await store.plans.append(story.create());
    await store.plans.append(story.submit());
    expect(await store.plans.versions(nhs, { limit: 50 })).toEqual({ items: [] });
  });
});

describe('cursors', () => {
  it('refuses cursors that are not ours with InvalidCursor', async () => {
    const nhs = freshNhsNumber();
    const bad = [
      'not a cursor!',
      '',
      Buffer.from('{"sk":').toString('base64url'),
      cursor(null),
      cursor(['REV#000000001', 'VERSION#000000001']),
      cursor({ sk: 1, versionSk: 2 }),
      cursor({ sk: 'REV#000000001' }),
      // An access-log cursor is not a versions cursor.
      cursor({ reads: 'ACCESS#x', changes: 'REV#000000001' }),
    ];
    for (const next of bad) {
      const error = await store.plans.versions(nhs, { limit: 1, next }).catch((e: unknown) => e);
      expect(error, `cursor ${JSON.stringify(next)}`).toBeInstanceOf(InvalidCursor);
    }
    // A versions cursor is not an access-log or worklist cursor.
    const versionsCursor = cursor({ sk: 'REV#000000003', versionSk: 'VERSION#000000001' });
    await expect(store.audit.accessLog(nhs, { limit: 1, next: versionsCursor })).rejects.toBeInstanceOf(
      InvalidCursor,
    );
    await expect(
      store.worklists.awaitingRatification(GP_PRACTICE, {
        limit: 1,
        next: cursor({ reads: '~', changes: '~' }),
      }),
    ).rejects.toBeInstanceOf(InvalidCursor);
  });

  it('refuses a versions cursor carrying fields it never issued (e.g. another partition key)', async () => {
    const nhs = freshNhsNumber();
    const story = PlanStory.published(nhs, 2);
    for (const record of story.records) await store.plans.append(record);
    const first = await store.plans.versions(nhs, { limit: 1 });
    expect(first.next).toBeDefined();
    const issued = JSON.parse(Buffer.from(first.next as string, 'base64url').toString('utf8'));
    expect(issued).toEqual({ sk: keys.revision(6), versionSk: keys.version(2) });

    const tampered = cursor({ ...issued, pk: keys.patient(freshNhsNumber()) });
    const error = await store.plans.versions(nhs, { limit: 1, next: tampered }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidCursor);
  });

  it('refuses an access-log cursor carrying fields it never issued', async () => {
    const nhs = freshNhsNumber();
    const withExtra = cursor({ reads: '~', changes: '~', pk: keys.patient(freshNhsNumber()) });
    await expect(store.audit.accessLog(nhs, { limit: 1, next: withExtra })).rejects.toBeInstanceOf(
      InvalidCursor,
    );
  });

  it('refuses a worklist cursor carrying fields it never issued', async () => {
    const nhs = freshNhsNumber();
    const withExtra = cursor({ sk: keys.awaitingRatification(nhs), pk: keys.organisation(HOSPICE) });
    await expect(
      store.worklists.awaitingRatification(GP_PRACTICE, { limit: 1, next: withExtra }),
    ).rejects.toBeInstanceOf(InvalidCursor);
  });

  it('refuses an access-log cursor whose positions are not in the lists they resume', async () => {
    const nhs = freshNhsNumber();
    const story = new PlanStory(nhs);
    await store.plans.append(story.create());
    // Each position must be in its own source: reads resume at an ACCESS# key, changes at a REV# key.
    const swapped = cursor({
      reads: keys.revision(1),
      changes: keys.access('2026-11-21T10:00:00.000Z', 'x'),
    });
    const error = await store.audit.accessLog(nhs, { limit: 1, next: swapped }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidCursor);
  });
});

describe('access log', () => {
  const paramedicRrU = staff('paramedic', AMBULANCE, 'paramedic-1');
  const callHandler = staff('call_handler', AMBULANCE, 'call-handler-1');

  /**
   * Revisions a minute apart and reads in between, from several organisations: 6 changes and
   * 9 reads. Returns every entry as the log should show it, newest first.
   */
  const history = async () => {
    const nhs = freshNhsNumber();
    const story = new PlanStory(nhs);
    const accesses: AccessRecord[] = [];
    let n = 0;
    const read = (actor: AccessRecord['actor'], seconds: number, purpose: string | null = null) => {
      const at = new Date(Date.parse(story.nextAt()) - 60_000 + seconds * 1000).toISOString();
      accesses.push({
        nhsNumber: nhs,
        id: `01JAC${String(++n).padStart(21, '0')}`,
        at,
        actor,
        action: 'read_plan',
        purpose,
        breakGlass: false,
        events: [],
      });
    };
    story.create(hospiceNurse); // 10:01 HOSPICE
    read({ id: paramedicRrU.id, role: 'paramedic', organisation: AMBULANCE }, 10, 'emergency call');
    read({ id: 'patient-1', role: 'patient' }, 20);
    story.edit(gp); // 10:02 A81001
    read({ id: callHandler.id, role: 'call_handler', organisation: AMBULANCE }, 5, '111 call');
    read({ id: 'gp-1', role: 'gp', organisation: GP_PRACTICE }, 30);
    read({ id: paramedicRrU.id, role: 'paramedic', organisation: AMBULANCE }, 40);
    story.submit(hospiceNurse, HOSPICE); // 10:03 HOSPICE
    story.ratify(hospiceConsultant); // 10:04 HOSPICE
    read({ id: 'gp-1', role: 'gp', organisation: GP_PRACTICE }, 15);
    story.edit(gp); // 10:05
    read({ id: paramedicRrU.id, role: 'paramedic', organisation: AMBULANCE }, 1);
    read({ id: 'patient-1', role: 'patient' }, 2);
    read({ id: 'gp-1', role: 'gp', organisation: GP_PRACTICE }, 3);
    story.death(staff('paramedic', AMBULANCE, 'paramedic-2'), '2026-11-21'); // 10:06 AMBULANCE

    for (const record of story.records) await store.plans.append(record);
    for (const access of accesses) await store.audit.recordAccess(access);

    const entries: AccessLogEntry[] = [
      ...accesses.map((a) => ({
        at: a.at,
        actor: a.actor,
        action: a.action,
        purpose: a.purpose,
        breakGlass: a.breakGlass,
      })),
      ...story.records.map((r) => ({
        at: r.at,
        actor: r.by,
        action: r.command,
        purpose: null,
        breakGlass: false,
      })),
    ].sort((a, b) => (a.at < b.at ? 1 : -1));
    return { nhs, entries };
  };

  it('records each access with one conditional PutItem and never overwrites one', async () => {
    const nhs = freshNhsNumber();
    const access: AccessRecord = {
      nhsNumber: nhs,
      id: '01JACCESS0000000000000001',
      at: '2026-11-21T10:00:00.000Z',
      actor: { id: 'paramedic-1', role: 'paramedic', organisation: AMBULANCE },
      action: 'read_summary',
      purpose: 'emergency call',
      breakGlass: false,
      events: [],
    };
    await store.audit.recordAccess(access);
    expect(db.operations).toEqual(['PutItem']);
    expect(
      await rawItem(keys.patient(nhs), 'ACCESS#2026-11-21T10:00:00.000Z#01JACCESS0000000000000001'),
    ).toEqual({
      pk: keys.patient(nhs),
      sk: 'ACCESS#2026-11-21T10:00:00.000Z#01JACCESS0000000000000001',
      type: 'access',
      ...access,
    });
    await expect(store.audit.recordAccess({ ...access, purpose: 'rewritten' })).rejects.toBeInstanceOf(
      ConditionalCheckFailedException,
    );
  });

  it('merges reads and changes, newest first', async () => {
    const { nhs, entries } = await history();
    expect(entries).toHaveLength(15);

    const page = await store.audit.accessLog(nhs, { limit: 50 });

    expect(page.items).toEqual(entries);
    expect(page.next).toBeUndefined();
    // The first entries: the death (10:06), then the three reads of 10:05:0x.
    expect(page.items.slice(0, 4).map((e) => e.action)).toEqual([
      'recordDeath',
      'read_plan',
      'read_plan',
      'read_plan',
    ]);
  });

  it.each([1, 2, 3, 4, 7])(
    'pages with limit %i across both sources: nothing lost, nothing repeated, in order',
    async (limit) => {
      const { nhs, entries } = await history();

      const { pages, items } = await walk((next) => store.audit.accessLog(nhs, { limit, next }));

      expect(items).toEqual(entries);
      expectPageSizes(pages, limit, entries.length);
    },
  );

  it("keeps only one organisation's entries, reads and changes, when filtered", async () => {
    const { nhs, entries } = await history();
    const ambulance = entries.filter((e) => e.actor.organisation === AMBULANCE);
    expect(ambulance.map((e) => e.action)).toEqual([
      'recordDeath',
      'read_plan',
      'read_plan',
      'read_plan',
      'read_plan',
    ]);

    const page = await store.audit.accessLog(nhs, { limit: 50 }, AMBULANCE);

    expect(page.items).toEqual(ambulance);
    expect(page.next).toBeUndefined();
  });

  it.each([1, 2, 3])('pages a filtered log with limit %i: every entry once, newest first', async (limit) => {
    const { nhs, entries } = await history();
    for (const organisation of [AMBULANCE, GP_PRACTICE, HOSPICE]) {
      const expected = entries.filter((e) => e.actor.organisation === organisation);

      const { pages, items } = await walk((next) =>
        store.audit.accessLog(nhs, { limit, next }, organisation),
      );

      expect(items, organisation).toEqual(expected);
      for (const page of pages) expect(page.length).toBeLessThanOrEqual(limit);
    }
  });

  it.each([1, 2, 3])(
    "pages a filtered log newest first when other organisations' reads crowd the newest entries (limit %i)",
    async (limit) => {
      const nhs = freshNhsNumber();
      const story = new PlanStory(nhs);
      story.create(gp); // 10:01, the GP practice
      story.submit(gp); // 10:02, the GP practice
      for (const record of story.records) await store.plans.append(record);
      const reads: AccessRecord[] = [
        { seconds: 30, actor: { id: 'gp-1', role: 'gp' as const, organisation: GP_PRACTICE } },
        // An ambulance crew reads the plan again and again: six reads newer than the GP's.
        ...[31, 32, 33, 34, 35, 36].map((seconds) => ({
          seconds,
          actor: { id: 'paramedic-1', role: 'paramedic' as const, organisation: AMBULANCE },
        })),
      ].map(({ seconds, actor }, i) => ({
        nhsNumber: nhs,
        id: `01JCROWD${String(i).padStart(18, '0')}`,
        at: `2026-11-21T10:02:${seconds}.000Z`,
        actor,
        action: 'read_plan' as const,
        purpose: null,
        breakGlass: false,
        events: [],
      }));
      for (const read of reads) await store.audit.recordAccess(read);

      const { items } = await walk((next) => store.audit.accessLog(nhs, { limit, next }, GP_PRACTICE));

      expect(items.map((e) => [e.at, e.action])).toEqual([
        ['2026-11-21T10:02:30.000Z', 'read_plan'],
        ['2026-11-21T10:02:00.000Z', 'submit'],
        ['2026-11-21T10:01:00.000Z', 'create'],
      ]);
    },
  );

  it("shows nothing of another patient's log", async () => {
    const { nhs } = await history();
    const other = freshNhsNumber();
    expect(await store.audit.accessLog(other, { limit: 50 })).toEqual({ items: [] });
    expect((await store.audit.accessLog(nhs, { limit: 50 })).items.length).toBe(15);
  });
});

describe('break-glass reports', () => {
  it("files each break-glass read under the reader's organisation, newest first, paged", async () => {
    const organisation = `BG${String(Date.now()).slice(-6)}`;
    const reads = Array.from({ length: 5 }, (_, i) => ({
      nhsNumber: freshNhsNumber(),
      id: `01JBG${String(i).padStart(21, '0')}`,
      at: `2026-11-21T1${i}:00:00.000Z`,
      actor: { id: `carer-${i}`, role: 'care_home' as const, organisation },
      action: 'read_plan' as const,
      purpose: null,
      breakGlass: true,
      breakGlassReason: `resident ${i} collapsed`,
      // The domain reports a break-glass read to the reader's organisation (domain/access.ts).
      reportedTo: organisation,
      events: [],
    }));
    const { reportedTo: _notReported, ...ordinary } = {
      ...reads[0],
      id: '01JBG999',
      at: '2026-11-21T20:00:00.000Z',
      breakGlass: false,
    } as AccessRecord;
    for (const read of [...reads, ordinary]) await store.audit.recordAccess(read as AccessRecord);

    const seen: string[] = [];
    let next: string | undefined;
    do {
      const page = await store.audit.breakGlassReports(organisation, { limit: 2, ...(next && { next }) });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((r) => r.reason));
      next = page.next;
    } while (next);
    expect(seen).toEqual([4, 3, 2, 1, 0].map((i) => `resident ${i} collapsed`));
    expect((await store.audit.breakGlassReports('ELSEWHERE', { limit: 10 })).items).toEqual([]);
    await expect(
      store.audit.breakGlassReports(organisation, {
        limit: 2,
        next: cursor({ pk: 'ORG#X', sk: 'A', gsi1sk: 'B' }),
      }),
    ).rejects.toBeInstanceOf(InvalidCursor);
  });
});

describe('awaiting ratification', () => {
  it('pages the organisation worklist, in NHS-number order, and nothing of other organisations', async () => {
    const organisation = 'W11111';
    const patients = Array.from({ length: 5 }, () => freshNhsNumber());
    const put = (item: Record<string, unknown>) =>
      db.doc.send(new PutCommand({ TableName: db.tableName, Item: item }));
    const submittedBy: ActorRef = { id: 'nurse-1', role: 'nurse', organisation: HOSPICE };
    for (const [i, nhs] of [...patients].reverse().entries()) {
      await put({
        pk: keys.organisation(organisation),
        sk: keys.awaitingRatification(nhs),
        type: 'awaitingRatification',
        state: 'awaiting',
        revision: 2,
        nhsNumber: nhs,
        submittedAt: `2026-11-21T10:0${i}:00.000Z`,
        submittedBy,
        ...(i % 2 === 0 && { clinician: `dr.${i}` }),
      });
    }
    await put({
      pk: keys.organisation(organisation),
      sk: keys.profile,
      type: 'organisation',
      name: 'W Practice',
    });
    await put({
      pk: keys.organisation('W22222'),
      sk: keys.awaitingRatification(freshNhsNumber()),
      type: 'awaitingRatification',
      state: 'awaiting',
      nhsNumber: 'elsewhere',
      submittedAt: '2026-11-21T10:00:00.000Z',
      submittedBy,
    });
    // Inserted in reverse: patients[4] got i=0, patients[0] got i=4.
    const expected = patients.map((nhs, p) => {
      const i = 4 - p;
      return {
        nhsNumber: nhs,
        submittedAt: `2026-11-21T10:0${i}:00.000Z`,
        submittedBy,
        ...(i % 2 === 0 && { clinician: `dr.${i}` }),
      };
    });

    const all = await store.worklists.awaitingRatification(organisation, { limit: 50 });
    expect(all).toEqual({ items: expected });

    const { pages, items } = await walk((next) =>
      store.worklists.awaitingRatification(organisation, { limit: 2, next }),
    );
    expect(items).toEqual(expected);
    expectPageSizes(pages, 2, 5);

    expect(await store.worklists.awaitingRatification('W33333', { limit: 50 })).toEqual({ items: [] });
  });
});

describe('the one-write rule, end to end', () => {
  it('sends only PutItem for writes: no UpdateItem, DeleteItem or transactions across a whole plan life', async () => {
    const nhs = freshNhsNumber();
    await store.patients.enrol(patientRecord(nhs), []);
    const story = PlanStory.published(nhs, 2);
    story.withdraw();
    db.operations.length = 0;
    for (const record of story.records) await store.plans.append(record);
    expect(db.operations).toEqual(Array(story.records.length).fill('PutItem'));
    // And the reads the handlers make are queries and gets, never scans.
    db.operations.length = 0;
    await store.plans.current(nhs);
    await store.patients.get(nhs);
    await store.plans.versions(nhs, { limit: 5 });
    await store.plans.version(nhs, 1);
    expect(db.operations).toEqual(['Query', 'GetItem', 'Query', 'Query']);
    expect(
      (
        await db.doc.send(
          new QueryCommand({
            TableName: db.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': keys.patient(nhs) },
            Select: 'COUNT',
          }),
        )
      ).Count,
    ).toBe(1 + story.records.length);
  });
});
