import { writeFileSync } from 'node:fs';
import { capacityPerCommand } from './capacity.ts';
import { coldStart } from './cold-start.ts';
import { httpLoad } from './http.ts';
import { lookupOverhead } from './lookup.ts';
import { representations } from './representations.ts';
import { searchLatency } from './search.ts';
import { startHandlers } from './setup.ts';
import { round, table } from './stats.ts';

/**
 * `npm run bench`: what the service adds on top of the data store, side by side in one run.
 * Writes bench/results.json and prints the tables. Outside `npm test` on purpose.
 */
const started = performance.now();
const say = (text: string) => process.stdout.write(`${text}\n`);

say('1/6 lookup overhead: the summary handler against the bare read and write (dynalite, in process)');
const handlers = await startHandlers();
const lookup = await lookupOverhead(handlers, 2000);
say('2/6 the summary, the summary signed (JWS) and the FHIR document, through their handlers');
const shapes = await representations(handlers, 1000);
say('3/6 capacity per command (ReturnConsumedCapacity)');
const capacity = await capacityPerCommand(handlers);
say('4/6 search and the outcome report: the handlers against the bare index Query (dynalite, in process)');
const search = await searchLatency(handlers, 300);
await handlers.close();

say(
  '5/6 HTTP: npm start, then a bare server making the same calls, under autocannon (10 connections, 10 s each)',
);
const http = await httpLoad({ connections: 10, seconds: 10, rounds: 2 });

say('6/6 cold start: bundles as cdk synth builds them, against their floors (10 fresh processes each)');
const cold = coldStart(10);

const compared = cold.filter((c) => c.sizeRatio !== null);
const results = {
  measuredAt: new Date().toISOString(),
  node: process.version,
  lookupOverheadRatio: lookup.lookupOverheadRatio,
  summaryMedianMs: lookup.summaryMedianMs,
  summaryP99Ms: lookup.summaryP99Ms,
  bareMedianMs: lookup.bareMedianMs,
  bareP99Ms: lookup.bareP99Ms,
  httpRatio: http.httpRatio,
  httpRps: http.httpRps,
  httpP50Ms: http.httpP50Ms,
  httpP99Ms: http.httpP99Ms,
  httpBareRps: http.bareRps,
  httpBareP99Ms: http.bareP99Ms,
  httpStopMs: http.httpStopMs,
  maxBundleRatio: Math.max(...compared.map((c) => c.sizeRatio as number)),
  maxInitRatio: Math.max(...compared.map((c) => c.initRatio as number)),
  maxBundleKB: Math.max(...cold.map((c) => c.bundleKB)),
  maxInitMs: Math.max(...cold.map((c) => c.initMs)),
  goals: {
    lookupOverheadRatioAtMost1_1: lookup.lookupOverheadRatio <= 1.1,
    httpRatioAtMost1_5: http.httpRatio <= 1.5,
    everyFunctionWithin1_25xOfFloor: compared.every(
      (c) => (c.sizeRatio as number) <= 1.25 && (c.initRatio as number) <= 1.25,
    ),
    oneWritePerCommand: capacity.filter((c) => c.command !== 'summary (read)').every((c) => c.writes === 1),
    summaryOneReadOneWrite: capacity.some(
      (c) => c.command === 'summary (read)' && c.reads === 1 && c.writes === 1,
    ),
  },
  signedSummaryMedianMs: shapes.signedSummary.medianMs,
  fhirDocumentMedianMs: shapes.fhirDocument.medianMs,
  lookup,
  search,
  representations: shapes,
  http,
  coldStart: cold,
  capacity,
};
writeFileSync(new URL('results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);

say('\nLookup overhead (median and p99, ms)');
say(
  table([
    { path: 'summary handler (whole stack)', median: lookup.summaryMedianMs, p99: lookup.summaryP99Ms },
    { path: 'bare Query + PutItem (SDK)', median: lookup.bareMedianMs, p99: lookup.bareP99Ms },
    {
      path: 'ratio (goal <= 1.1)',
      median: lookup.lookupOverheadRatio,
      p99: round(lookup.summaryP99Ms / lookup.bareP99Ms),
    },
  ]),
);
say('\nOne plan, three ways, through the handler (ms; ratio of medians to the plain summary)');
say(table((['summary', 'signedSummary', 'fhirDocument'] as const).map((way) => ({ way, ...shapes[way] }))));
say('\nHTTP, 10 connections, 10 s each (latency in ms)');
say(
  table([
    {
      load: 'GET summary via npm start',
      rps: http.httpRps,
      mean: http.httpMeanMs,
      p50: http.httpP50Ms,
      p99: http.httpP99Ms,
    },
    {
      load: 'bare server: Query + PutItem',
      rps: http.bareRps,
      mean: http.bareMeanMs,
      p50: http.bareP50Ms,
      p99: http.bareP99Ms,
    },
    {
      load: 'httpRatio: bare rps / summary rps (goal <= 1.5)',
      rps: http.httpRatio,
      mean: '',
      p50: '',
      p99: '',
    },
  ]),
);
say(
  `npm start took up to ${http.httpStopMs} ms to stop after a round: its stream, bus and archive catching up`,
);
say('\nCold start (goal: size and init within 1.25x of the floor)');
say(table(cold.map((c) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v ?? '-'])))));
say('\nCapacity per command');
say(table(capacity));
say('\nSearch and the outcome report (ms)');
say(table(Object.entries(search).map(([path, { p50, p99 }]) => ({ path, p50, p99 }))));
say(`\ngoals: ${JSON.stringify(results.goals)}`);
say(`bench/results.json written in ${Math.round((performance.now() - started) / 1000)} s`);
