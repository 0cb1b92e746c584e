import { readOutcomeReport, readWorklist } from '../../domain/access.ts';
import { odsCodePattern } from '../../domain/actor.ts';
import { addDays, monthsBetween, ukDate } from '../../domain/calendar.ts';
import { outcomeReport, reportCsv } from '../../domain/outcomes.ts';
import { lazyHandler, outcomes, reviews } from '../platform/composition-root.ts';
import { type ApiRequest, authenticated, httpApi, json, pageParams } from '../platform/http.ts';
import type { Outcomes, Reviews } from '../platform/ports.ts';
import { badRequest, HttpProblem, titleOf } from '../platform/problem.ts';
import { allowed, paged } from './reads.ts';

export type ReportPorts = {
  outcomes: Pick<Outcomes, 'organisations' | 'months'>;
  reviews: Pick<Reviews, 'worklist'>;
};

/** The longest report, in months: ten years. */
const maxMonths = 120;
/** How far ahead the review worklist looks, in days, at most. */
const maxWithinDays = 366;
/** Organisations whose counters are read at once, for a report of them all. */
const concurrentReads = 16;

const month = /^\d{4}-(0[1-9]|1[0-2])$/;

const reportQuery = (request: ApiRequest) => {
  const { from, to, organisation } = request.query;
  const errors = [
    ...(from === undefined || !month.test(from) ? [{ path: 'from', message: 'a month, YYYY-MM' }] : []),
    ...(to === undefined || !month.test(to) ? [{ path: 'to', message: 'a month, YYYY-MM' }] : []),
    ...(organisation !== undefined && !odsCodePattern.test(organisation)
      ? [{ path: 'organisation', message: 'an ODS code' }]
      : []),
  ];
  if (errors.length > 0 || from === undefined || to === undefined)
    throw badRequest('the report needs from and to (YYYY-MM), and optionally an organisation', errors);
  const months = monthsBetween(from, to);
  if (months.length === 0) throw badRequest('to is before from', [{ path: 'to', message: 'before from' }]);
  if (months.length > maxMonths)
    throw badRequest(`a report covers at most ${maxMonths} months`, [
      { path: 'from', message: 'too long ago' },
    ]);
  return { months, to, organisation };
};

/** The media types the report is served as: JSON unless the caller prefers CSV (RFC 9110 `Accept` with q). */
const reportMediaType = (accept: string | undefined): 'json' | 'csv' | null => {
  if (!accept) return 'json';
  const quality = { json: 0, csv: 0 };
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.trim().toLowerCase().split(';');
    const q = Number(
      params
        .map((p) => p.trim())
        .find((p) => p.startsWith('q='))
        ?.slice(2) ?? 1,
    );
    const weight = Number.isFinite(q) ? q : 0;
    if (range === 'application/json' || range === 'application/*' || range === '*/*')
      quality.json = Math.max(quality.json, weight);
    if (range === 'text/csv' || range === 'text/*' || range === '*/*')
      quality.csv = Math.max(quality.csv, weight);
  }
  if (quality.json === 0 && quality.csv === 0) return null;
  return quality.csv > quality.json ? 'csv' : 'json';
};

const mapInBatches = async <T, R>(values: readonly T[], size: number, map: (value: T) => Promise<R>) => {
  const results: R[] = [];
  for (let start = 0; start < values.length; start += size) {
    results.push(...(await Promise.all(values.slice(start, start + size).map(map))));
  }
  return results;
};

export const createHandler = (ports: ReportPorts) =>
  httpApi('reports', {
    getOutcomeReport: {
      handler: authenticated(async (request) => {
        const { months, to, organisation } = reportQuery(request);
        const scope = allowed(readOutcomeReport(request.actor, organisation));
        const media = reportMediaType(request.headers.accept);
        if (!media)
          throw new HttpProblem(406, titleOf(406), 'the report is served as application/json or text/csv');
        const organisations = scope.organisation
          ? [scope.organisation]
          : await ports.outcomes.organisations();
        const stored = await mapInBatches(organisations, concurrentReads, (ods) =>
          ports.outcomes.months(ods, to),
        );
        const report = outcomeReport(months, organisations, stored.flat());
        if (media === 'json') return json(200, report, { Vary: 'Accept' });
        return {
          statusCode: 200,
          headers: {
            'Content-Type': 'text/csv; charset=utf-8; header=present',
            'Cache-Control': 'no-store',
            Vary: 'Accept',
          },
          body: reportCsv(report),
        };
      }),
    },
    listReviews: {
      handler: authenticated(async (request) => {
        const { organisation } = allowed(readWorklist(request.actor, 'reviews'));
        const raw = request.query.within;
        const within = raw === undefined ? 30 : Number(raw);
        if (!/^\d+$/.test(raw ?? '30') || within > maxWithinDays)
          throw badRequest(`within is a number of days from 0 to ${maxWithinDays}`, [
            { path: 'within', message: `0 to ${maxWithinDays}` },
          ]);
        const page = pageParams(request);
        const today = ukDate(new Date().toISOString());
        return json(
          200,
          await paged(() => ports.reviews.worklist(organisation, addDays(today, within), today, page)),
        );
      }),
    },
  });

export const handler = lazyHandler(() => createHandler({ outcomes: outcomes(), reviews: reviews() }));
