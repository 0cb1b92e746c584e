import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { ApiEventInput } from '../local/api-gateway.ts';
import { call, demoSections, type Handler, type startHandlers } from './setup.ts';

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
  const plan = `/patients/${nhs}/plan`;
  type Step = [
    command: string,
    handler: Handler,
    method: ApiEventInput['method'],
    path: string,
    token: string,
    body?: unknown,
  ];
  const steps: Step[] = [
    [
      'enrol',
      patients,
      'POST',
      '/patients',
      patient,
      {
        nhsNumber: nhs,
        name: { given: 'Ada', family: 'Byron' },
        birthDate: '1941-02-11',
        postcode: 'SW1A 1AA',
        gpPractice: 'A81001',
      },
    ],
    [
      'create plan',
      planCommands,
      'POST',
      plan,
      patient,
      {
        sections: {
          preferences: demoSections.preferences,
          aboutMe: demoSections.aboutMe,
          contacts: demoSections.contacts,
        },
      },
    ],
    ['submit', planCommands, 'POST', `${plan}/submit`, patient, { organisation: 'A81001' }],
    [
      'edit (PATCH)',
      planCommands,
      'PATCH',
      plan,
      gp,
      {
        sections: {
          clinical: demoSections.clinical,
          cpr: demoSections.cpr,
          treatment: demoSections.treatment,
          consent: demoSections.consent,
        },
      },
    ],
    ['ratify', planCommands, 'POST', `${plan}/ratify`, gp],
    ['summary (read)', summary, 'GET', `${plan}/summary`, paramedic],
    ['amend (PATCH)', planCommands, 'PATCH', plan, gp, { sections: { review: { date: '2027-05-20' } } }],
    ['submit amendment', planCommands, 'POST', `${plan}/submit`, gp, { organisation: 'A81001' }],
    ['return', planCommands, 'POST', `${plan}/return`, gp, { comments: 'please add the review date reason' }],
    ['withdraw', planCommands, 'POST', `${plan}/withdraw`, patient, { reason: 'I no longer want it shared' }],
    [
      'record death',
      planCommands,
      'POST',
      `/patients/${nhs}/death`,
      gp,
      { date: new Date().toISOString().slice(0, 10), place: 'home' },
    ],
  ];
  const rows = [];
  for (const [command, handler, method, path, token, body] of steps) {
    usage = { reads: 0, writes: 0, rcu: 0, wcu: 0, itemBytes: [] };
    // Every change after the first draft carries the revision it was based on.
    const headers = etag && method !== 'GET' ? { 'If-Match': etag } : undefined;
    const result = await call(handler, {
      method,
      path,
      token,
      ...(headers && { headers }),
      ...(body !== undefined && { body }),
    });
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
