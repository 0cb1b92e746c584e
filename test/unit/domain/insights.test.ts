import { describe, expect, it } from 'vitest';
import { ukMonth } from '../../../domain/calendar.ts';
import { outcomeChanges, outcomeReport, reportCsv } from '../../../domain/outcomes.ts';
import type { Plan } from '../../../domain/plan.ts';
import { reminderOwed, reviewsDue } from '../../../domain/reviews.ts';
import { matchCandidate, normaliseName, parseSearch, type SearchCandidate } from '../../../domain/search.ts';
import { GP_PRACTICE, NOW, planFixture } from './fixtures.ts';

const publishedPlan = (change: Partial<Plan> = {}): Plan =>
  planFixture({
    published: {
      version: 1,
      sections: {
        preferences: { preferredPlaceOfDeath: { code: 'home' } },
        cpr: { decision: 'dnacpr', decisionDate: '2026-11-20', decidedBy: { name: 'Dr A', role: 'gp' } },
        treatment: { ceiling: 'comfort' },
        review: { date: '2027-01-01' },
      },
      ratifiedBy: { id: 'gp', role: 'gp', organisation: GP_PRACTICE },
      ratifiedAt: NOW,
    },
    ...change,
  });
const event = (id: string) => ({ id, type: 'CarePlan.Ratified', at: NOW, detail: {} }) as never;

describe('the UK month', () => {
  it('is London’s: just after midnight BST on 1 October is October, still September in UTC', () => {
    expect(ukMonth('2026-09-30T23:30:00.000Z')).toBe('2026-10');
    expect(ukMonth('2026-12-31T23:30:00.000Z')).toBe('2026-12');
    expect(ukMonth('2026-11-05')).toBe('2026-11');
  });
});

describe('outcome changes of a revision', () => {
  it('a first publication adds a published, live plan with its CPR decision and ceiling', () => {
    expect(outcomeChanges(planFixture(), publishedPlan(), [event('e1')], NOW)).toEqual([
      {
        eventId: 'e1',
        month: '2026-11',
        counts: { plansPublished: 1, liveChange: 1, cprChange: 1, ceilingChange: 1 },
      },
    ]);
  });

  it('a death takes the plan out of the gauges in the month recorded, and counts in the month of its date', () => {
    const before = publishedPlan();
    const died = publishedPlan({
      death: {
        date: '2026-10-30',
        place: 'hospital',
        preferredPlace: 'home',
        diedInPreferredPlace: false,
        recordedBy: { id: 'gp', role: 'gp' },
        recordedAt: NOW,
      },
    });
    expect(outcomeChanges(before, died, [event('e2')], NOW)).toEqual([
      { eventId: 'e2', month: '2026-11', counts: { liveChange: -1, cprChange: -1, ceilingChange: -1 } },
      {
        eventId: 'e2',
        month: '2026-10',
        counts: {
          deaths: 1,
          deathsWithPreferredPlace: 1,
          deathsInHospital: 1,
          deathsWithPreferredPlaceWithCeiling: 1,
        },
      },
    ]);
  });

  it('an edit of a draft changes nothing', () => {
    const plan = publishedPlan();
    expect(outcomeChanges(plan, { ...plan, revision: 2 }, [event('e3')], NOW)).toEqual([]);
  });
});

describe('the report', () => {
  const stored = [
    { organisation: 'A81001', month: '2026-09', counters: { liveChange: 3, cprChange: 2 } },
    {
      organisation: 'A81001',
      month: '2026-10',
      counters: { liveChange: -1, deaths: 2, deathsWithPreferredPlace: 2, diedInPreferredPlace: 1 },
    },
  ];
  it('carries the gauges from before the first month, and shares are null on no deaths', () => {
    const report = outcomeReport(['2026-10', '2026-11'], ['A81001'], stored);
    expect(
      report.rows.map((r) => [r.month, r.livePlans, r.plansWithCprDecision, r.diedInPreferredPlaceShare]),
    ).toEqual([
      ['2026-10', 2, 2, 0.5],
      ['2026-11', 2, 2, null],
    ]);
    expect(report.totals).toMatchObject({ livePlans: 2, deaths: 2, diedInPreferredPlaceShare: 0.5 });
    expect(reportCsv(report).split('\r\n')[1]).toBe('2026-10,A81001,2,0,2,2,1,0.5,0,2,0,,');
  });
});

describe('reviews', () => {
  it('are due from the published version of a shared plan only', () => {
    expect(reviewsDue(publishedPlan())).toEqual([{ kind: 'plan', date: '2027-01-01' }]);
    expect(
      reviewsDue(publishedPlan({ withdrawal: { reason: 'x', by: { id: 'p', role: 'patient' }, at: NOW } })),
    ).toEqual([]);
    expect(reviewsDue(planFixture())).toEqual([]);
  });

  it('are owed a reminder 14 days before, and once overdue', () => {
    expect(reminderOwed('2026-12-15', '2026-11-30')).toBeNull();
    expect(reminderOwed('2026-12-14', '2026-11-30')).toBe('dueSoon');
    expect(reminderOwed('2026-11-30', '2026-11-30')).toBe('dueSoon');
    expect(reminderOwed('2026-11-29', '2026-11-30')).toBe('overdue');
  });
});

describe('search', () => {
  it('compares names without case, accents or punctuation', () => {
    expect(normaliseName("  O'Brien-Dupont ")).toBe('obriendupont');
    expect(normaliseName('Émilie')).toBe('emilie');
    expect(normaliseName('ZOË')).toBe('zoe');
  });

  it('reads PDS-style parameters, and says what is missing', () => {
    expect(parseSearch({ family: 'Byr*', birthDate: ['ge1941-01-01', 'le1941-12-31'] })).toEqual({
      ok: true,
      search: {
        family: { value: 'byr', prefix: true },
        born: { from: '1941-01-01', to: '1941-12-31' },
        fuzzy: false,
      },
    });
    expect(parseSearch({ family: 'Byron' })).toEqual({
      ok: false,
      errors: [{ path: 'birthDate', message: expect.any(String) }],
    });
  });

  it('scores an exact match 1 and a match by sound less, and rules out the rest', () => {
    const candidate: SearchCandidate = {
      nhsNumber: '9990000018',
      name: { given: 'John', family: 'Smyth' },
      birthDate: '1950-03-04',
      postcode: 'LS1 4AP',
      keys: { family: 'smyth', given: 'john', familyCodes: ['SM0', 'XMT'], givenCodes: ['JN', 'AN'] },
    };
    const parsed = parseSearch({ family: 'Smith', given: 'John', birthDate: ['1950-03-04'], fuzzy: 'true' });
    if (!parsed.ok) throw new Error('valid');
    expect(matchCandidate(parsed.search, { family: ['SM0', 'XMT'], given: ['JN', 'AN'] }, candidate)).toBe(
      0.8,
    );
    expect(
      matchCandidate({ ...parsed.search, fuzzy: false }, { family: [], given: [] }, candidate),
    ).toBeNull();
    expect(
      matchCandidate({ ...parsed.search, postcode: 'LS14AQ' }, { family: ['SM0'], given: ['JN'] }, candidate),
    ).toBeNull();
  });
});
