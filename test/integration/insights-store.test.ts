import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan, PublishedVersion } from '../../domain/plan.ts';
import type { Sections } from '../../domain/sections.ts';
import { dynamoOutcomes } from '../../functions/platform/store/outcomes.ts';
import { dynamoPatientIndex } from '../../functions/platform/store/patient-index.ts';
import { dynamoReminders } from '../../functions/platform/store/reminders.ts';
import { dynamoReviews } from '../../functions/platform/store/reviews.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.ts';
import { freshNhsNumber, GP_PRACTICE, gp, HOSPICE, patientRecord, profile } from '../support/fixtures.ts';

/** The adapters of the outcome counters, reviews, reminders and search keys, on a real DynamoDB protocol server. */

let db: TestDynamo;
beforeAll(async () => {
  db = await startTestDynamo('ucp-insights-test');
});
afterAll(async () => {
  await db?.close();
});

describe('outcome counters', () => {
  it('counts a change once per event id, and sums the changes of a month', async () => {
    const outcomes = dynamoOutcomes(db.doc, db.tableName);
    const change = {
      eventId: '01JDIED',
      organisation: 'C83003',
      month: '2026-11',
      counts: { deaths: 1, liveChange: -1 },
    };
    expect(await outcomes.count(change)).toBe('counted');
    expect(await outcomes.count(change)).toBe('alreadyCounted');
    expect(await outcomes.count({ ...change, eventId: '01JDIED2' })).toBe('counted');
    expect(
      await outcomes.count({ ...change, eventId: '01JOCT', month: '2026-10', counts: { liveChange: 3 } }),
    ).toBe('counted');
    expect(
      await outcomes.count({ ...change, eventId: '01JDEC', month: '2026-12', counts: { liveChange: 1 } }),
    ).toBe('counted');
    expect(await outcomes.organisations()).toContain('C83003');
    expect(await outcomes.months('C83003', '2026-11')).toEqual([
      { organisation: 'C83003', month: '2026-10', counters: { liveChange: 3 } },
      { organisation: 'C83003', month: '2026-11', counters: { deaths: 2, liveChange: -2 } },
    ]);
  });

  it('counts concurrent deliveries of the same event once', async () => {
    const outcomes = dynamoOutcomes(db.doc, db.tableName);
    const change = {
      eventId: '01JRACE',
      organisation: 'D84004',
      month: '2026-11',
      counts: { plansPublished: 1 },
    };
    const results = await Promise.all(Array.from({ length: 10 }, () => outcomes.count(change)));
    expect(results.filter((r) => r === 'counted')).toHaveLength(1);
    expect((await outcomes.months('D84004', '2026-11'))[0]?.counters).toEqual({ plansPublished: 1 });
  });
});

const published = (sections: Sections): PublishedVersion => ({
  version: 1,
  sections,
  ratifiedBy: { id: 'gp', role: 'gp', organisation: GP_PRACTICE },
  ratifiedAt: '2026-11-20T10:00:00.000Z',
});
const plan = (nhs: string, revision: number, change: Partial<Plan> = {}): Plan => ({
  nhsNumber: nhs,
  revision,
  createdAt: '2026-11-20T10:00:00.000Z',
  updatedAt: '2026-11-20T10:00:00.000Z',
  published: null,
  draft: null,
  careTeam: [GP_PRACTICE, HOSPICE],
  authors: [GP_PRACTICE],
  withdrawal: null,
  death: null,
  ...change,
});

describe('reviews due', () => {
  it('keeps one entry per care-team organisation and one for the plan; moves, clears, and never goes back', async () => {
    const reviews = dynamoReviews(db.doc, db.tableName);
    const nhs = freshNhsNumber();
    const r1 = plan(nhs, 1, {
      published: published({
        review: { date: '2027-01-10' },
        cpr: { decision: 'for_cpr', reviewDate: '2026-12-01' },
      }),
    });
    await reviews.project(r1, null, '2026-11-20T10:00:00.000Z');
    const page = { limit: 10 };
    expect((await reviews.worklist(HOSPICE, '2027-01-31', '2026-12-05', page)).items).toEqual([
      { nhsNumber: nhs, reviewDate: '2026-12-01', kind: 'cpr', overdue: true },
      { nhsNumber: nhs, reviewDate: '2027-01-10', kind: 'plan', overdue: false },
    ]);
    expect(await reviews.dueBetween('2026-11-01', '2026-12-31')).toContainEqual({
      nhsNumber: nhs,
      kind: 'cpr',
      reviewDate: '2026-12-01',
      careTeam: [GP_PRACTICE, HOSPICE],
    });

    // Revision 2 moves the plan review; a late redelivery of revision 1 does not move it back.
    const r2 = plan(nhs, 2, { published: published({ review: { date: '2026-12-20' } }) });
    await reviews.project(r2, r1, '2026-11-21T10:00:00.000Z');
    await reviews.project(r1, null, '2026-11-20T10:00:00.000Z');
    expect((await reviews.worklist(GP_PRACTICE, '2027-01-31', '2026-12-05', page)).items).toEqual([
      { nhsNumber: nhs, reviewDate: '2026-12-20', kind: 'plan', overdue: false },
    ]);
    expect((await reviews.dueBetween('2026-11-01', '2027-01-31')).filter((r) => r.nhsNumber === nhs)).toEqual(
      [{ nhsNumber: nhs, kind: 'plan', reviewDate: '2026-12-20', careTeam: [GP_PRACTICE, HOSPICE] }],
    );

    // Withdrawn: nothing due any more.
    const r3 = plan(nhs, 3, {
      ...r2,
      revision: 3,
      withdrawal: { reason: 'asked', by: gp, at: '2026-11-22T10:00:00.000Z' },
    });
    await reviews.project(r3, r2, '2026-11-22T10:00:00.000Z');
    await reviews.project(r2, r1, '2026-11-21T10:00:00.000Z');
    expect((await reviews.worklist(GP_PRACTICE, '2027-12-31', '2026-12-05', page)).items).toEqual([]);
    expect((await reviews.dueBetween('2026-11-01', '2027-12-31')).filter((r) => r.nhsNumber === nhs)).toEqual(
      [],
    );
  });

  it('pages an organisation worklist soonest first, up to the date asked', async () => {
    const reviews = dynamoReviews(db.doc, db.tableName);
    const dates = ['2027-03-03', '2027-03-01', '2027-03-02', '2027-04-01'];
    for (const date of dates) {
      await reviews.project(
        plan(freshNhsNumber(), 1, { careTeam: ['E85005'], published: published({ review: { date } }) }),
        null,
        '2026-11-20T10:00:00.000Z',
      );
    }
    const seen: string[] = [];
    let next: string | undefined;
    do {
      const page = await reviews.worklist('E85005', '2027-03-31', '2026-12-01', {
        limit: 2,
        ...(next && { next }),
      });
      seen.push(...page.items.map((i) => i.reviewDate));
      next = page.next;
    } while (next);
    expect(seen).toEqual(['2027-03-01', '2027-03-02', '2027-03-03']);
  });
});

describe('reminders', () => {
  it('makes each reminder once: whoever claims it again gets the first reference', async () => {
    const reminders = dynamoReminders(db.doc, db.tableName);
    const reminder = {
      nhsNumber: freshNhsNumber(),
      kind: 'plan' as const,
      reviewDate: '2026-12-01',
      threshold: 'dueSoon' as const,
    };
    const claims = await Promise.all(
      ['01JA', '01JB', '01JC'].map((reference) =>
        reminders.claim(reminder, reference, '2026-11-20T07:00:00.000Z'),
      ),
    );
    expect(claims.filter((c) => c.created)).toHaveLength(1);
    const first = claims.find((c) => c.created)?.reference;
    expect(claims.map((c) => c.reference)).toEqual([first, first, first]);
    expect(
      (await reminders.claim({ ...reminder, threshold: 'overdue' }, '01JD', '2026-12-02T07:00:00.000Z'))
        .created,
    ).toBe(true);
  });
});

describe('search keys', () => {
  it('finds by exact or wildcard family name and a birth date range, and everyone born on a date', async () => {
    const index = dynamoPatientIndex(db.doc, db.tableName);
    const byron = freshNhsNumber();
    const byrne = freshNhsNumber();
    const other = freshNhsNumber();
    await index.index(patientRecord(byron));
    await index.index(patientRecord(byron));
    await index.index({
      ...patientRecord(byrne),
      profile: { ...profile(byrne), name: { given: 'Ada', family: 'Byrne' }, birthDate: '1941-03-01' },
    });
    await index.index({
      ...patientRecord(other),
      profile: { ...profile(other), name: { given: 'Ada', family: 'Lovelace' } },
    });
    const nhs = (found: Awaited<ReturnType<typeof index.bornOn>>) =>
      found === 'tooMany' ? found : found.map((c) => c.nhsNumber).sort();

    const year = { from: '1941-01-01', to: '1941-12-31' };
    expect(nhs(await index.byFamilyName({ value: 'byron', prefix: false }, year, 10))).toEqual([byron]);
    expect(nhs(await index.byFamilyName({ value: 'byr', prefix: true }, year, 10))).toEqual(
      [byron, byrne].sort(),
    );
    expect(
      nhs(
        await index.byFamilyName(
          { value: 'byr', prefix: true },
          { from: '1941-02-11', to: '1941-02-11' },
          10,
        ),
      ),
    ).toEqual([byron]);
    expect(nhs(await index.byFamilyName({ value: 'byr', prefix: true }, year, 1))).toBe('tooMany');
    expect(nhs(await index.bornOn('1941-02-11', 10))).toEqual(expect.arrayContaining([byron, other]));
    const [candidate] = (await index.byFamilyName({ value: 'byron', prefix: false }, year, 10)) as never[];
    expect(candidate).toMatchObject({
      nhsNumber: byron,
      name: { given: 'Ada', family: 'Byron' },
      keys: { family: 'byron', given: 'ada', familyCodes: ['PRN'], givenCodes: ['AT'] },
    });
  });
});
