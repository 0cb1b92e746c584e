import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { RevisionRecord } from '../../../functions/platform/ports.ts';
import { invoke } from '../../../local/api-gateway.ts';
import {
  AMBULANCE,
  allSections,
  FAMILY,
  GIVEN,
  GP_PRACTICE,
  NHS,
  NHS_SPACED,
  PlanStory,
  planStrings,
  profile,
  revisionItem,
} from '../../support/fixtures.ts';
import { handlerEnvironment, mockedStore, UNIT_TABLE } from '../../support/handler-env.ts';

const env = handlerEnvironment();
const { handler } = await import('../../../functions/http/plan-commands.ts');

const gpToken = env.token({ role: 'gp', org: GP_PRACTICE, sub: 'gp-1' });
const paramedicToken = env.token({ role: 'paramedic', org: AMBULANCE, sub: 'paramedic-1' });
const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
const personal = [NHS, NHS_SPACED, GIVEN, FAMILY, ...planStrings];
const newest = (record: RevisionRecord | undefined): Partial<QueryCommandOutput> => ({
  Items: record ? [revisionItem(record)] : [],
});

/** Each command of an existing plan: the plan it starts from and the request that changes it. */
type Case = {
  name: string;
  method: 'POST' | 'PATCH';
  path: string;
  resource: string;
  before: () => PlanStory;
  body: unknown;
  token?: string;
  ifMatch?: boolean;
  /** What the one revision written records. */
  command: string;
  status: string;
};
const story = (...steps: ((s: PlanStory) => unknown)[]) => {
  return () => {
    const s = new PlanStory(NHS);
    for (const step of steps) step(s);
    return s;
  };
};
const cases: Case[] = [
  {
    name: 'PATCH plan (edit)',
    method: 'PATCH',
    path: `/patients/${NHS}/plan`,
    resource: '/patients/{nhs}/plan',
    before: story((s) => s.create()),
    body: { sections: { aboutMe: { whatMattersToMe: 'my garden' } } },
    command: 'edit',
    status: 'draft',
  },
  {
    name: 'submit',
    method: 'POST',
    path: `/patients/${NHS}/plan/submit`,
    resource: '/patients/{nhs}/plan/submit',
    before: story((s) => s.create()),
    body: { organisation: GP_PRACTICE, clinician: 'dr.patel' },
    command: 'submit',
    status: 'submitted',
  },
  {
    name: 'ratify',
    method: 'POST',
    path: `/patients/${NHS}/plan/ratify`,
    resource: '/patients/{nhs}/plan/ratify',
    before: story(
      (s) => s.create(),
      (s) => s.submit(),
    ),
    body: { note: 'checked with the patient' },
    command: 'ratify',
    status: 'published',
  },
  {
    name: 'return',
    method: 'POST',
    path: `/patients/${NHS}/plan/return`,
    resource: '/patients/{nhs}/plan/return',
    before: story(
      (s) => s.create(),
      (s) => s.submit(),
    ),
    body: { comments: 'please add a second contact' },
    command: 'return',
    status: 'draft',
  },
  {
    name: 'withdraw',
    method: 'POST',
    path: `/patients/${NHS}/plan/withdraw`,
    resource: '/patients/{nhs}/plan/withdraw',
    before: () => PlanStory.published(NHS, 1),
    body: { reason: 'the patient asked us to stop sharing' },
    command: 'withdraw',
    status: 'withdrawn',
  },
  {
    name: 'record death',
    method: 'POST',
    path: `/patients/${NHS}/death`,
    resource: '/patients/{nhs}/death',
    before: () => PlanStory.published(NHS, 1),
    body: { date: yesterday, place: 'home' },
    token: paramedicToken,
    ifMatch: false,
    command: 'recordDeath',
    status: 'closed',
  },
];

const send = (c: Case, ifMatch?: string, body: unknown = c.body) =>
  invoke(handler, {
    method: c.method,
    path: c.path,
    resource: c.resource,
    token: c.token ?? gpToken,
    body,
    ...(ifMatch !== undefined && { headers: { 'If-Match': ifMatch } }),
  });

const { ddb, commandNames, logs } = mockedStore(env, personal);

describe('every command is one conditional put of the next revision', () => {
  it.each(cases)('$name', async (c) => {
    const before = c.before();
    const base = before.records.at(-1);
    const revision = before.current.revision;
    ddb.on(QueryCommand).resolves(newest(base));
    ddb.on(PutCommand).resolves({});

    const response = await send(c, c.ifMatch === false ? undefined : `"${revision}"`);

    expect(response.status).toBe(200);
    expect(response.headers.etag).toBe(`"${revision + 1}"`);
    expect(response.body).toMatchObject({ nhsNumber: NHS, revision: revision + 1, status: c.status });
    expect(commandNames()).toEqual(['QueryCommand', 'PutCommand']);
    const puts = ddb.commandCalls(PutCommand);
    expect(puts).toHaveLength(1);
    const input = puts[0]?.args[0].input;
    expect(input?.TableName).toBe(UNIT_TABLE);
    expect(input?.ConditionExpression).toBe('attribute_not_exists(sk)');
    expect(input?.Item).toMatchObject({
      pk: `PATIENT#${NHS}`,
      sk: `REV#${String(revision + 1).padStart(9, '0')}`,
      type: 'revision',
      revision: revision + 1,
      status: c.status,
      command: c.command,
      plan: { nhsNumber: NHS, revision: revision + 1 },
    });
    expect(input?.Item?.events).toHaveLength(1);
  });

  it('POST plan (create) puts revision 1', async () => {
    ddb.on(GetCommand).resolves({
      Item: {
        pk: `PATIENT#${NHS}`,
        sk: 'PROFILE',
        profile: profile(),
        careTeam: [GP_PRACTICE],
        enrolledAt: '2026-11-20T09:00:00.000Z',
      },
    });
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(PutCommand).resolves({});

    const response = await invoke(handler, {
      method: 'POST',
      path: `/patients/${NHS}/plan`,
      resource: '/patients/{nhs}/plan',
      token: gpToken,
      body: { sections: allSections() },
    });

    expect(response.status).toBe(201);
    expect(response.headers.etag).toBe('"1"');
    expect(response.headers.location).toBe(`/patients/${NHS}/plan`);
    const puts = ddb.commandCalls(PutCommand);
    expect(puts).toHaveLength(1);
    expect(puts[0]?.args[0].input.ConditionExpression).toBe('attribute_not_exists(sk)');
    expect(puts[0]?.args[0].input.Item).toMatchObject({
      pk: `PATIENT#${NHS}`,
      sk: 'REV#000000001',
      command: 'create',
      status: 'draft',
    });
    expect(commandNames().filter((n) => n !== 'GetCommand' && n !== 'QueryCommand')).toEqual(['PutCommand']);
  });
});

describe('a lost race', () => {
  it.each(cases)('$name: 412 with the revision that won, re-read after the failed put', async (c) => {
    const before = c.before();
    const revision = before.current.revision;
    // Another writer saved revision n+1 and then n+2 while this request was deciding.
    const winner = c.before();
    winner.edit();
    const won = winner.edit();
    ddb
      .on(QueryCommand)
      .resolvesOnce(newest(before.records.at(-1)))
      .resolves(newest(won));
    ddb
      .on(PutCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );

    const response = await send(c, c.ifMatch === false ? undefined : `"${revision}"`);

    expect(response.status).toBe(412);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.headers.etag).toBe(`"${won.plan.revision}"`);
    expect(response.body).toEqual({
      type: 'about:blank',
      title: 'Precondition Failed',
      status: 412,
      detail: 'the plan was changed by someone else at the same time',
      currentRevision: revision + 2,
    });
    expect(commandNames()).toEqual(['QueryCommand', 'PutCommand', 'QueryCommand']);
  });

  it('create: a plan made by someone else meanwhile is a 409, not a 412', async () => {
    ddb.on(GetCommand).resolves({
      Item: { profile: profile(), careTeam: [GP_PRACTICE], enrolledAt: '2026-11-20T09:00:00.000Z' },
    });
    const other = new PlanStory(NHS).create();
    ddb.on(QueryCommand).resolvesOnce({ Items: [] }).resolves(newest(other));
    ddb
      .on(PutCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );

    const response = await invoke(handler, {
      method: 'POST',
      path: `/patients/${NHS}/plan`,
      resource: '/patients/{nhs}/plan',
      token: gpToken,
      body: {},
    });

    expect(response.status).toBe(409);
    expect(response.body).toEqual({
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      detail: 'this patient already has a plan: change it with PATCH',
    });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
  });
});

describe('refused before any write', () => {
  const edit = cases[0] as Case;

  it('a stale If-Match: 412 with the current revision, nothing written', async () => {
    const before = PlanStory.published(NHS, 1);
    ddb.on(QueryCommand).resolves(newest(before.records.at(-1)));

    const response = await send(edit, '"1"');

    expect(response.status).toBe(412);
    expect(response.headers.etag).toBe('"3"');
    expect(response.body).toEqual({
      type: 'about:blank',
      title: 'Precondition Failed',
      status: 412,
      detail: 'the plan has changed since you read it',
      currentRevision: 3,
    });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('no If-Match: 428, nothing read or written', async () => {
    const response = await send(edit);

    expect(response.status).toBe(428);
    expect(response.body).toEqual({
      type: 'about:blank',
      title: 'Precondition Required',
      status: 428,
      detail: 'send If-Match with the ETag of the plan you are changing',
    });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('a plan that would be too large to store: 413, nothing written', async () => {
    const big = new PlanStory(NHS);
    // Stored before the limit existed: the edit below (of another section) pushes it over.
    big.create(undefined, { clinical: { functionalStatus: 'x'.repeat(310_000) } });
    ddb.on(QueryCommand).resolves(newest(big.records.at(-1)));

    const response = await send(edit, '"1"');

    expect(response.status).toBe(413);
    expect(response.body).toEqual({
      type: 'about:blank',
      title: 'Content Too Large',
      status: 413,
      detail: 'the plan is too large to store',
    });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });
});

describe('DynamoDB failures', () => {
  const edit = cases[0] as Case;

  it('a throttled write: 503 with Retry-After', async () => {
    ddb.on(QueryCommand).resolves(newest(new PlanStory(NHS).create()));
    ddb
      .on(PutCommand)
      .rejects(
        new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeded', $metadata: {} }),
      );

    const response = await send(edit, '"1"');

    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.body).toEqual({
      type: 'about:blank',
      title: 'Service Unavailable',
      status: 503,
      detail: 'the service is busy: try again shortly',
    });
  });

  it('an unexpected failure: a generic 500 that leaks nothing', async () => {
    ddb.on(QueryCommand).resolves(newest(new PlanStory(NHS).create()));
    ddb
      .on(PutCommand)
      .rejects(new Error(`cannot serialise ${GIVEN} ${FAMILY} ${NHS} at node_modules/x.js:1:2`));

    const response = await send(edit, '"1"');

    expect(response.status).toBe(500);
    expect(response.body).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'something went wrong; nothing was changed',
    });
    for (const secret of personal) expect(response.raw).not.toContain(secret);
    expect(logs().lines.some((line) => line.includes('unhandled failure'))).toBe(true);
  });
});
