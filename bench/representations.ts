import { call, publishedPlan, type startHandlers } from './setup.ts';
import { median, percentile, round, time } from './stats.ts';

type Env = Awaited<ReturnType<typeof startHandlers>>;

/**
 * The same published plan read three ways through its whole handler (token, permission, read,
 * access record): the crisis summary as JSON, the summary signed (a compact ES256 JWS with the
 * service's key file), and the FHIR document of the version. Interleaved, in rotating order, so
 * each sees the same data store at the same moment; what signing and the FHIR mapping add is the
 * difference from the plain summary.
 */
export const representations = async (env: Env, iterations: number) => {
  const nhs = '9990000018';
  await publishedPlan(env, nhs);
  const paramedic = env.token({ role: 'paramedic', org: 'RRU', sub: 'crew-2' });
  const read =
    (handler: keyof Env['handlers'], path: string, headers: Record<string, string> = {}) =>
    () =>
      call(env.handlers[handler], {
        method: 'GET',
        path,
        token: paramedic,
        headers,
        query: { purpose: '999 call' },
      });
  const ways = {
    summary: read('summary', `/patients/${nhs}/plan/summary`),
    signedSummary: read('summary', `/patients/${nhs}/plan/summary`, { accept: 'application/jose' }),
    fhirDocument: read('planReads', `/patients/${nhs}/plan/fhir`),
  };
  const names = Object.keys(ways) as (keyof typeof ways)[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<
    keyof typeof ways,
    number[]
  >;
  for (let i = 0; i < 100; i += 1) for (const name of names) await ways[name]();
  for (let i = 0; i < iterations; i += 1) {
    for (let k = 0; k < names.length; k += 1) {
      const name = names[(i + k) % names.length] as keyof typeof ways;
      samples[name].push(await time(ways[name]));
    }
  }
  const sizes = Object.fromEntries(
    await Promise.all(names.map(async (n) => [n, Buffer.byteLength((await ways[n]()).body)] as const)),
  );
  const row = (name: keyof typeof ways) => ({
    medianMs: round(median(samples[name])),
    p99Ms: round(percentile(samples[name], 99)),
    ratioToSummary: round(median(samples[name]) / median(samples.summary)),
    bytes: sizes[name] as number,
  });
  return {
    iterations,
    summary: row('summary'),
    signedSummary: row('signedSummary'),
    fhirDocument: row('fhirDocument'),
  };
};
