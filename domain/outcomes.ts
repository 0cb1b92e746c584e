// zod/mini (a third of classic zod in a bundle); schemas marked pure are dropped where unused.
import * as z from 'zod/mini';
import { ukMonth } from './calendar.ts';
import type { DomainEvent } from './events.ts';
import type { Plan } from './plan.ts';

/**
 * The outcome report (docs/domain.md "Outcomes"): monthly counters per GP practice, kept from the
 * revisions. Pure: the projection applies each change once per event id, the report sums them.
 *
 * Flows count what happened in the month. Gauges (live plans, and those with a CPR decision or a
 * ceiling of treatment) are kept as changes: +1 in the month a plan goes live, -1 in the month it
 * stops, so the level at a month's end is the sum of every change up to it, whatever order the
 * changes were counted in.
 */
export const counterNames = [
  'plansPublished',
  'liveChange',
  'cprChange',
  'ceilingChange',
  'deaths',
  'deathsWithPreferredPlace',
  'diedInPreferredPlace',
  'deathsInHospital',
  'deathsWithPreferredPlaceWithCeiling',
  'diedInPreferredPlaceWithCeiling',
  'deathsWithPreferredPlaceWithoutCeiling',
  'diedInPreferredPlaceWithoutCeiling',
] as const;
export type CounterName = (typeof counterNames)[number];
export type Counters = Record<CounterName, number>;

/** One update of one month's counters, made once for its event. */
export type MonthChange = { eventId: string; month: string; counts: Partial<Counters> };
/** ... of one organisation's: the patient's GP practice. */
export type CounterChange = MonthChange & { organisation: string };

/** The gauges a plan adds to while it is live: published, not withdrawn, no death recorded. */
const gaugesOf = (plan: Plan | null) => {
  const published = plan?.published;
  if (!plan || !published || plan.withdrawal || plan.death) return { live: 0, cpr: 0, ceiling: 0 };
  const decision = published.sections.cpr?.decision;
  return {
    live: 1,
    cpr: decision === 'dnacpr' || decision === 'for_cpr' ? 1 : 0,
    ceiling: published.sections.treatment ? 1 : 0,
  };
};

const nonZero = (counts: Partial<Counters>): Partial<Counters> =>
  Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== 0));

/**
 * What one revision changes in the report (the caller attributes it to the patient's GP practice): a first
 * publication, a change of the gauges (in the UK month of the revision), and a death (in the month
 * of the date of death). Each change is keyed on the id of an event the revision raised, and
 * changes to the same month are merged, so one event updates one counter item once.
 */
export const outcomeChanges = (
  previous: Plan | null,
  plan: Plan,
  events: readonly DomainEvent[],
  at: string,
): MonthChange[] => {
  const first = events[0];
  if (!first) return [];
  const byMonth = new Map<string, Partial<Counters>>();
  const add = (month: string, counts: Partial<Counters>) => {
    const merged = { ...byMonth.get(month) };
    for (const [name, n] of Object.entries(counts) as [CounterName, number][]) {
      merged[name] = (merged[name] ?? 0) + n;
    }
    byMonth.set(month, merged);
  };
  const before = gaugesOf(previous);
  const after = gaugesOf(plan);
  add(ukMonth(at), {
    plansPublished: !previous?.published && plan.published ? 1 : 0,
    liveChange: after.live - before.live,
    cprChange: after.cpr - before.cpr,
    ceilingChange: after.ceiling - before.ceiling,
  });
  const death = plan.death;
  if (death && !previous?.death) {
    const withPreferred = death.preferredPlace !== null ? 1 : 0;
    const inPreferred = death.diedInPreferredPlace === true ? 1 : 0;
    const ceiling = plan.published?.sections.treatment !== undefined;
    add(death.date.slice(0, 7), {
      deaths: 1,
      deathsWithPreferredPlace: withPreferred,
      diedInPreferredPlace: inPreferred,
      deathsInHospital: death.place === 'hospital' ? 1 : 0,
      ...(ceiling
        ? { deathsWithPreferredPlaceWithCeiling: withPreferred, diedInPreferredPlaceWithCeiling: inPreferred }
        : {
            deathsWithPreferredPlaceWithoutCeiling: withPreferred,
            diedInPreferredPlaceWithoutCeiling: inPreferred,
          }),
    });
  }
  return [...byMonth]
    .map(([month, counts]) => ({ eventId: first.id, month, counts: nonZero(counts) }))
    .filter((change) => Object.keys(change.counts).length > 0);
};

/** A month of one organisation's counters, as stored. */
export type MonthCounters = { organisation: string; month: string; counters: Partial<Counters> };

const share = (part: number, whole: number): number | null =>
  whole === 0 ? null : Math.round((part / whole) * 1000) / 1000;

const Share = /* @__PURE__ */ z
  .nullable(z.number().check(z.minimum(0), z.maximum(1)))
  .register(z.globalRegistry, {
    description: 'A share from 0 to 1 (3 decimals); null where its denominator is 0',
  });
const count = (description: string) =>
  z.number().check(z.int(), z.minimum(0)).register(z.globalRegistry, { description });

// Pure, so a bundle that only counts (the projections) or never reports carries none of these schemas.
const figures = {
  livePlans: /* @__PURE__ */ count(
    'Published plans still shared (not withdrawn, no death recorded) at the end of the month',
  ),
  plansPublished: /* @__PURE__ */ count('Plans whose first version was published in the month'),
  deaths: /* @__PURE__ */ count('Deaths recorded with a date in the month'),
  deathsWithPreferredPlace: /* @__PURE__ */ count(
    'Deaths whose last published plan recorded a preferred place of death',
  ),
  diedInPreferredPlace: /* @__PURE__ */ count('Of those, deaths in that place'),
  diedInPreferredPlaceShare: Share,
  deathsInHospital: /* @__PURE__ */ count('Deaths whose actual place was hospital'),
  plansWithCprDecision: /* @__PURE__ */ count(
    'Of the live plans, those whose published version records a CPR decision (DNACPR or for CPR)',
  ),
  plansWithCeilingOfTreatment: /* @__PURE__ */ count(
    'Of the live plans, those whose published version records a ceiling of treatment',
  ),
  preferredPlaceShareWithCeiling: Share,
  preferredPlaceShareWithoutCeiling: Share,
};

export const OutcomeFigures = /* @__PURE__ */ z
  .object(figures)
  .register(z.globalRegistry, { id: 'OutcomeFigures' });
export type OutcomeFigures = z.infer<typeof OutcomeFigures>;

export const OutcomeRow = /* @__PURE__ */ z
  .object({
    month: z.string().check(z.regex(/^\d{4}-\d{2}$/)),
    organisation: z
      .string()
      .register(z.globalRegistry, { description: "The patients' GP practice (ODS code)" }),
    ...figures,
  })
  .register(z.globalRegistry, { id: 'OutcomeRow' });
export type OutcomeRow = z.infer<typeof OutcomeRow>;

export const OutcomeReport = /* @__PURE__ */ z
  .object({
    from: z.string(),
    to: z.string(),
    rows: z.array(OutcomeRow),
    totals: OutcomeFigures.register(z.globalRegistry, {
      description:
        'Flows (plans published, deaths and their kinds) summed over every row; gauges (live plans, with a CPR decision, with a ceiling) at the end of `to`, summed over the organisations',
    }),
  })
  .register(z.globalRegistry, { id: 'OutcomeReport' });
export type OutcomeReport = z.infer<typeof OutcomeReport>;

/** The order of the figures, as the CSV's header names them (the schema's order). */
export const reportColumns: readonly (keyof OutcomeRow)[] = [
  'month',
  'organisation',
  'livePlans',
  'plansPublished',
  'deaths',
  'deathsWithPreferredPlace',
  'diedInPreferredPlace',
  'diedInPreferredPlaceShare',
  'deathsInHospital',
  'plansWithCprDecision',
  'plansWithCeilingOfTreatment',
  'preferredPlaceShareWithCeiling',
  'preferredPlaceShareWithoutCeiling',
];

type Sums = Counters & {
  livePlans: number;
  plansWithCprDecision: number;
  plansWithCeilingOfTreatment: number;
};

const figuresOf = (s: Sums): OutcomeFigures => ({
  livePlans: s.livePlans,
  plansPublished: s.plansPublished,
  deaths: s.deaths,
  deathsWithPreferredPlace: s.deathsWithPreferredPlace,
  diedInPreferredPlace: s.diedInPreferredPlace,
  diedInPreferredPlaceShare: share(s.diedInPreferredPlace, s.deathsWithPreferredPlace),
  deathsInHospital: s.deathsInHospital,
  plansWithCprDecision: s.plansWithCprDecision,
  plansWithCeilingOfTreatment: s.plansWithCeilingOfTreatment,
  preferredPlaceShareWithCeiling: share(
    s.diedInPreferredPlaceWithCeiling,
    s.deathsWithPreferredPlaceWithCeiling,
  ),
  preferredPlaceShareWithoutCeiling: share(
    s.diedInPreferredPlaceWithoutCeiling,
    s.deathsWithPreferredPlaceWithoutCeiling,
  ),
});

const zero = (): Sums =>
  Object.fromEntries(
    [...counterNames, 'livePlans', 'plansWithCprDecision', 'plansWithCeilingOfTreatment'].map((n) => [n, 0]),
  ) as Sums;

/**
 * The report for the months `months` (in order) of the organisations given, from every month of
 * their counters up to the last of them (the gauges need every change before the first). An
 * organisation asked for by name has a row each month even with nothing counted.
 */
export const outcomeReport = (
  months: readonly string[],
  organisations: readonly string[],
  stored: readonly MonthCounters[],
): OutcomeReport => {
  const from = months[0] ?? '';
  const to = months.at(-1) ?? '';
  const rows: OutcomeRow[] = [];
  const totals = zero();
  for (const organisation of [...organisations].sort()) {
    const mine = stored.filter((m) => m.organisation === organisation);
    const level = { live: 0, cpr: 0, ceiling: 0 };
    for (const m of mine.filter((m) => m.month < from)) {
      level.live += m.counters.liveChange ?? 0;
      level.cpr += m.counters.cprChange ?? 0;
      level.ceiling += m.counters.ceilingChange ?? 0;
    }
    for (const month of months) {
      const sums = zero();
      for (const m of mine.filter((m) => m.month === month)) {
        for (const name of counterNames) sums[name] += m.counters[name] ?? 0;
      }
      level.live += sums.liveChange;
      level.cpr += sums.cprChange;
      level.ceiling += sums.ceilingChange;
      Object.assign(sums, {
        livePlans: level.live,
        plansWithCprDecision: level.cpr,
        plansWithCeilingOfTreatment: level.ceiling,
      });
      rows.push({ month, organisation, ...figuresOf(sums) });
      for (const name of counterNames) totals[name] += sums[name];
    }
    totals.livePlans += level.live;
    totals.plansWithCprDecision += level.cpr;
    totals.plansWithCeilingOfTreatment += level.ceiling;
  }
  rows.sort((a, b) => a.month.localeCompare(b.month) || a.organisation.localeCompare(b.organisation));
  return { from, to, rows, totals: figuresOf(totals) };
};

/** RFC 4180: CRLF line ends, a field quoted only when it must be; an empty field for a null share. */
export const reportCsv = (report: OutcomeReport): string => {
  const field = (value: unknown): string => {
    const text = value === null || value === undefined ? '' : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const lines = [
    reportColumns.join(','),
    ...report.rows.map((row) => reportColumns.map((c) => field(row[c])).join(',')),
  ];
  return `${lines.join('\r\n')}\r\n`;
};
