import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { call, demoSections, type startHandlers } from './setup.ts';

type Env = Awaited<ReturnType<typeof startHandlers>>;
type Usage = { reads: number; writes: number; rcu: number; wcu: number; itemBytes: number[] };

const writeCommands = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand']);

/** DynamoDB's item size: attribute names plus values (UTF-8 strings, numbers, nested maps and lists). */
const sizeOf = (value: unknown): number => {
  const v = value as Record<string, unknown>;
  if ('S' in v) return Buffer.byteLength(v.S as string);
  if ('N' in v) return Math.ceil(String(v.N).replace(/^-|\.|^0+/g, '').length / 2) + 1;
  if ('BOOL' in v || 'NULL' in v) return 1;
  if ('L' in v) return 3 + (v.L as unknown[]).reduce<number>((n, e) => n + 1 + sizeOf(e), 0);
  if ('M' in v) {
    return (
      3 +
      Object.entries(v.M as Record<string, unknown>).reduce(
        (n, [k, e]) => n + 1 + Buffer.byteLength(k) + sizeOf(e),
        0,
      )
    );
  }
  return 0;
};
const itemSize = (item: Record<string, unknown>): number =>
  Object.entries(marshall(item, { removeUndefinedValues: true })).reduce(
    (n, [k, e]) => n + Buffer.byteLength(k) + sizeOf(e),
    0,
  );

/**
 * Capacity each command consumes (ReturnConsumedCapacity, as the data store reports it) and the
 * size of what it writes: each command should be one write, the summary one read and one write.
 */
export const capacityPerCommand = async (env: Env) => {
  const { documentClient } = await import('../functions/platform/dynamo.ts');
  let usage: Usage = { reads: 0, writes: 0, rcu: 0, wcu: 0, itemBytes: [] };
  const meter = () =>
    ((
      next: (
        args: unknown,
      ) => Promise<{ output: { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] } }>,
      context: { commandName: string },
    ) =>
      async (args: { input: Record<string, unknown> }) => {
        args.input.ReturnConsumedCapacity = 'INDEXES';
        const result = await next(args);
        const consumed = [result.output.ConsumedCapacity ?? []].flat();
        const units = consumed.reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
        if (writeCommands.has(context.commandName)) {
          usage.writes += 1;
          usage.wcu += units;
          const item = args.input.Item as Record<string, unknown> | undefined;
          if (item) usage.itemBytes.push(itemSize(item));
        } else {
          usage.reads += 1;
          usage.rcu += units;
        }
        return result;
      }) as never;
  documentClient().middlewareStack.add(meter(), { step: 'initialize', name: 'benchMeter' });

  const nhs = '9991000003';
  const gp = env.token({ role: 'gp', org: 'A81001', sub: 'dr.patel' });
  const patient = env.token({ role: 'patient', nhs });
  const paramedic = env.token({ role: 'paramedic', org: 'RRU' });
  const { patients, planCommands, summary } = env.handlers;
  let etag = '';
  const steps: [string, () => Promise<unknown>][] = [
    [
      'enrol',
      () =>
        call(patients, {
          method: 'POST',
          path: '/patients',
          token: patient,
          body: {
            nhsNumber: nhs,
            name: { given: 'Ada', family: 'Byron' },
            birthDate: '1941-02-11',
            postcode: 'SW1A 1AA',
            gpPractice: 'A81001',
          },
        }),
    ],
    [
      'create plan',
      () =>
        call(planCommands, {
          method: 'POST',
          path: `/patients/${nhs}/plan`,
          token: patient,
          body: {
            sections: {
              preferences: demoSections.preferences,
              aboutMe: demoSections.aboutMe,
              contacts: demoSections.contacts,
            },
          },
        }),
    ],
    [
      'submit',
      () =>
        call(planCommands, {
          method: 'POST',
          path: `/patients/${nhs}/plan/submit`,
          token: patient,
          headers: { 'If-Match': etag },
          body: { organisation: 'A81001' },
        }),
    ],
    [
      'edit (PATCH)',
      () =>
        call(planCommands, {
          method: 'PATCH',
          path: `/patients/${nhs}/plan`,
          token: gp,
          headers: { 'If-Match': etag },
          body: {
            sections: {
              clinical: demoSections.clinical,
              cpr: demoSections.cpr,
              treatment: demoSections.treatment,
              consent: demoSections.consent,
            },
          },
        }),
    ],
    [
      'ratify',
      () =>
        call(planCommands, {
          method: 'POST',
          path: `/patients/${nhs}/plan/ratify`,
          token: gp,
          headers: { 'If-Match': etag },
        }),
    ],
    [
      'summary (read)',
      () => call(summary, { method: 'GET', path: `/patients/${nhs}/plan/summary`, token: paramedic }),
    ],
    [
      'amend (PATCH)',
      () =>
        call(planCommands, {
          method: 'PATCH',
          path: `/patients/${nhs}/plan`,
          token: gp,
          headers: { 'If-Match': etag },
          body: { sections: { review: { date: '2027-05-20' } } },
        }),
    ],
    [
      'submit amendment',
      () =>
        call(planCommands, {
          method: 'POST',
          path: `/patients/${nhs}/plan/submit`,
          token: gp,
          headers: { 'If-Match': etag },
          body: { organisation: 'A81001' },
        }),
    ],
    [
      'return',
      () =>
        call(planCommands, {
          method: 'POST',
          path: `/patients/${nhs}/plan/return`,
          token: gp,
          headers: { 'If-Match': etag },
          body: { comments: 'please add the review date reason' },
        }),
    ],
    [
      'withdraw',
      () =>
        call(planCommands, {
          method: 'POST',
          path: `/patients/${nhs}/plan/withdraw`,
          token: patient,
          headers: { 'If-Match': etag },
          body: { reason: 'I no longer want it shared' },
        }),
    ],
    [
      'record death',
      () =>
        call(planCommands, {
          method: 'POST',
          path: `/patients/${nhs}/death`,
          token: gp,
          body: { date: new Date().toISOString().slice(0, 10), place: 'home' },
        }),
    ],
  ];
  const rows = [];
  for (const [command, run] of steps) {
    usage = { reads: 0, writes: 0, rcu: 0, wcu: 0, itemBytes: [] };
    const result = (await run()) as { etag?: string };
    etag = result.etag ?? etag;
    rows.push({
      command,
      reads: usage.reads,
      rcu: usage.rcu,
      writes: usage.writes,
      wcu: usage.wcu,
      itemBytes: usage.itemBytes.join('+') || '-',
    });
  }
  return rows;
};
