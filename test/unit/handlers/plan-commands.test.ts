import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { PutCommand, type PutCommandInput } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
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
  patientRecord,
  planStrings,
} from '../../support/fixtures.ts';
import { handlerEnvironment, realStore } from '../../support/handler-env.ts';

const env = handlerEnvironment();

const gpToken = env.token({ role: 'gp', org: GP_PRACTICE, sub: 'gp-1' });
const paramedicToken = env.token({ role: 'paramedic', org: AMBULANCE, sub: 'paramedic-1' });
const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
const personal = [NHS, NHS_SPACED, GIVEN, FAMILY, ...planStrings];

const { db, store, faulty, faults, logs } = await realStore(env, personal, 'ucp-plan-commands-handler');
const { createHandler } = await import('../../../functions/http/plan-commands.ts');
const handler = createHandler(store);
/** The same handler on ports whose sends a test can make fail. */
const faultyHandler = createHandler(faulty);

/** Stores the story's revisions, as the API would have. */
const stored = async (story: PlanStory, from = 0) => {
  for (const record of story.records.slice(from)) await store.plans.append(record);
  db.operations.length = 0;
  return story;
};
/** Another writer saves what `winner` has beyond `from` just before the handler's write reaches the table. */
const racedBy = (winner: PlanStory, from: number) => {
  let raced = false;
  faults.on(PutCommand).callsFake(async (input: PutCommandInput) => {
    if (!raced) {
      raced = true;
      for (const record of winner.records.slice(from)) await store.plans.append(record);
    }
    return db.doc.send(new PutCommand(input));
  });
};
const faultyCalls = () => faults.calls().map((call) => (call.args[0] as object).constructor.name);

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
  /** The events riding on it. */
  raises: string[];
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
    raises: ['CarePlan.DraftUpdated'],
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
    raises: ['CarePlan.Submitted'],
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
    raises: ['CarePlan.Ratified', 'CarePlan.Published'],
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
    raises: ['CarePlan.Returned'],
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
    raises: ['CarePlan.Withdrawn', 'CarePlan.Unpublished'],
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
    raises: ['Patient.Died', 'CarePlan.Unpublished'],
  },
];

const send = (c: Case, ifMatch?: string, body: unknown = c.body, on = handler) =>
  invoke(on, {
    method: c.method,
    path: c.path,
    resource: c.resource,
    token: c.token ?? gpToken,
    body,
    ...(ifMatch !== undefined && { headers: { 'If-Match': ifMatch } }),
  });

describe('every command is one write of the next revision', () => {
  it.each(cases)('$name', async (c) => {
    const before = await stored(c.before());
    const revision = before.current.revision;

    const response = await send(c, c.ifMatch === false ? undefined : `"${revision}"`);

    expect(response.status).toBe(200);
    expect(response.headers.etag).toBe(`"${revision + 1}"`);
    expect(response.body).toMatchObject({ nhsNumber: NHS, revision: revision + 1, status: c.status });
    expect(db.operations).toEqual(['Query', 'PutItem']);
    const written = await store.plans.revision(NHS, revision + 1);
    expect(written).toMatchObject({
      command: c.command,
      by: { organisation: c.token ? AMBULANCE : GP_PRACTICE },
      plan: { nhsNumber: NHS, revision: revision + 1 },
    });
    expect(written?.events.map((e) => e.type)).toEqual(c.raises);
    expect((await store.plans.current(NHS))?.revision).toBe(revision + 1);
  });

  it('POST plan (create) writes revision 1', async () => {
    await store.patients.enrol(patientRecord(), []);
    db.operations.length = 0;

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
    expect(await store.plans.revision(NHS, 1)).toMatchObject({ command: 'create', plan: { revision: 1 } });
    expect(db.operations.filter((n) => n !== 'GetItem' && n !== 'Query')).toEqual(['PutItem']);
  });
});

describe('a lost race', () => {
  it.each(cases)('$name: 412 with the revision that won, re-read after the failed write', async (c) => {
    const before = await stored(c.before());
    const revision = before.current.revision;
    // Another writer saves revision n+1 and then n+2 while this request is deciding.
    const winner = c.before();
    winner.edit();
    const won = winner.edit();
    racedBy(winner, before.records.length);

    const response = await send(c, c.ifMatch === false ? undefined : `"${revision}"`, c.body, faultyHandler);

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
    expect(faultyCalls()).toEqual(['QueryCommand', 'PutCommand', 'QueryCommand']);
    expect(await store.plans.current(NHS)).toEqual(won.plan);
  });

  it('create: a plan made by someone else meanwhile is a 409, not a 412', async () => {
    await store.patients.enrol(patientRecord(), []);
    const other = new PlanStory(NHS);
    other.create();
    racedBy(other, 0);

    const response = await invoke(faultyHandler, {
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
    expect(faults.commandCalls(PutCommand)).toHaveLength(1);
    expect(await store.plans.current(NHS)).toEqual(other.plan);
  });
});

describe('refused before any write', () => {
  const edit = cases[0] as Case;

  it('a stale If-Match: 412 with the current revision, nothing written', async () => {
    const before = await stored(PlanStory.published(NHS, 1));

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
    expect(db.operations).toEqual(['Query']);
    expect(await store.plans.current(NHS)).toEqual(before.plan);
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
    expect(db.operations).toEqual([]);
  });

  it('a plan that would be too large to store: 413, nothing written', async () => {
    // A plan just under the limit (its free text stored before the section limits existed): the
    // edit below, of another section, pushes it over.
    const sized = (length: number) => {
      const story = new PlanStory(NHS);
      story.create(undefined, { clinical: { functionalStatus: 'x'.repeat(length) } });
      return story;
    };
    const base = JSON.stringify(sized(0).records[0]).length;
    await stored(sized(299_000 - base));

    const response = await send(edit, '"1"', {
      sections: { aboutMe: { whatMattersToMe: 'y'.repeat(2000) } },
    });

    expect(response.status).toBe(413);
    expect(response.body).toEqual({
      type: 'about:blank',
      title: 'Content Too Large',
      status: 413,
      detail: 'the plan is too large to store',
    });
    expect(db.operations).toEqual(['Query']);
    expect((await store.plans.current(NHS))?.revision).toBe(1);
  });
});

describe('DynamoDB failures', () => {
  const edit = cases[0] as Case;

  it('a throttled write: 503 with Retry-After', async () => {
    const story = new PlanStory(NHS);
    story.create();
    await stored(story);
    faults
      .on(PutCommand)
      .rejects(
        new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeded', $metadata: {} }),
      );

    const response = await send(edit, '"1"', edit.body, faultyHandler);

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
    const story = new PlanStory(NHS);
    story.create();
    await stored(story);
    faults
      .on(PutCommand)
      .rejects(new Error(`cannot serialise ${GIVEN} ${FAMILY} ${NHS} at node_modules/x.js:1:2`));

    const response = await send(edit, '"1"', edit.body, faultyHandler);

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
