import { InternalServerError, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { invoke } from '../../../local/api-gateway.ts';
import {
  AMBULANCE,
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
const patientToken = env.token({ role: 'patient', nhs: NHS, sub: 'patient-1' });
const personal = [NHS, NHS_SPACED, GIVEN, FAMILY, ...planStrings];
const throttled = () =>
  new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeded', $metadata: {} });
const busy = {
  type: 'about:blank',
  title: 'Service Unavailable',
  status: 503,
  detail: 'the service is busy: try again shortly',
};

const { db, store, faulty, faults } = await realStore(env, personal, 'ucp-plan-reads-handler');
const { createHandler } = await import('../../../functions/http/plan-reads.ts');
const handler = createHandler(store);
/** The same handler on ports whose sends a test can make fail. */
const faultyHandler = createHandler(faulty);

const story = PlanStory.published(NHS, 2);
/** The story's plan and its enrolment, as the API would have stored them. */
const stored = async () => {
  await store.patients.enrol(patientRecord(), []);
  for (const record of story.records) await store.plans.append(record);
  db.operations.length = 0;
};
const reads = async () =>
  (await store.audit.accessLog(NHS, { limit: 50 })).items.filter((e) => e.action.startsWith('read'));
const get = (path: string, resource: string, token = gpToken, query?: Record<string, string>, on = handler) =>
  invoke(on, { method: 'GET', path, resource, token, ...(query && { query }) });

describe('GET /patients/{nhs}/plan', () => {
  const read = (on = handler) => get(`/patients/${NHS}/plan`, '/patients/{nhs}/plan', gpToken, undefined, on);

  it('reads the newest revision, writes the access record, then answers with the ETag', async () => {
    await stored();

    const response = await read();

    expect(response.status).toBe(200);
    expect(response.headers.etag).toBe(`"${story.current.revision}"`);
    expect(response.body).toMatchObject({ nhsNumber: NHS, status: 'published', revision: 6 });
    expect(db.operations).toEqual(['Query', 'PutItem']);
    expect(await reads()).toMatchObject([{ action: 'read_plan', actor: { id: 'gp-1' } }]);
  });

  it('fails without plan data when the access record cannot be written', async () => {
    await stored();
    faults
      .on(PutCommand)
      .rejects(new InternalServerError({ message: 'Internal server error', $metadata: {} }));

    const response = await read(faultyHandler);

    expect(response.status).toBe(500);
    for (const secret of personal) expect(response.raw).not.toContain(secret);
    expect(response.headers.etag).toBeUndefined();
  });

  it('answers 503 when the read is throttled', async () => {
    await stored();
    faults.on(QueryCommand).rejects(throttled());

    const response = await read(faultyHandler);

    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.body).toEqual(busy);
    expect(await reads()).toEqual([]);
  });
});

describe('GET /patients/{nhs}/plan/versions', () => {
  const versions = (query?: Record<string, string>, on = handler) =>
    get(`/patients/${NHS}/plan/versions`, '/patients/{nhs}/plan/versions', gpToken, query, on);

  it('lists versions after writing the access record', async () => {
    await stored();

    const response = await versions();

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      items: [2, 1].map((v) => {
        const p = story.records.find((r) => r.command === 'ratify' && r.plan.published?.version === v)?.plan
          .published;
        return { version: v, ratifiedAt: p?.ratifiedAt, ratifiedBy: p?.ratifiedBy };
      }),
    });
    expect(db.operations).toEqual(['Query', 'Query', 'PutItem']);
    expect(await reads()).toMatchObject([{ action: 'read_versions' }]);
  });

  it('answers 400 for a cursor the service did not issue, reading no versions', async () => {
    await stored();

    const response = await versions({ next: 'bm90LWEtY3Vyc29y' });

    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: 'the next cursor is not valid for this list',
      errors: [{ path: 'next', message: 'invalid cursor' }],
    });
    expect(db.operations).toEqual(['Query']);
  });

  it('answers 503 when the versions query is throttled', async () => {
    await stored();
    let queries = 0;
    faults.on(QueryCommand).callsFake(async (input) => {
      queries += 1;
      if (queries > 1) throw throttled();
      return db.doc.send(new QueryCommand(input));
    });

    const response = await versions(undefined, faultyHandler);

    expect(response.status).toBe(503);
    expect(response.body).toEqual(busy);
    expect(await reads()).toEqual([]);
  });
});

describe('GET /patients/{nhs}/access-log', () => {
  const log = (on = handler) =>
    get(`/patients/${NHS}/access-log`, '/patients/{nhs}/access-log', patientToken, undefined, on);

  it('answers 503 when a log query is throttled', async () => {
    await stored();
    faults.on(QueryCommand).callsFake(async (input) => {
      if (input.ExpressionAttributeValues?.[':prefix'] === 'ACCESS#') throw throttled();
      return db.doc.send(new QueryCommand(input));
    });

    const response = await log(faultyHandler);

    expect(response.status).toBe(503);
    expect(response.body).toEqual(busy);
  });

  it('merges access records and revisions for the patient, newest first', async () => {
    await stored();
    const paramedic = { id: 'paramedic-1', role: 'paramedic' as const, organisation: AMBULANCE };
    const at = '2026-11-21T10:02:30.000Z';
    await store.audit.recordAccess({
      id: '01JACCESS0000000000000001',
      at,
      nhsNumber: NHS,
      actor: paramedic,
      action: 'read_summary',
      purpose: 'emergency call',
      breakGlass: false,
      events: [],
    });

    const response = await log();

    expect(response.status).toBe(200);
    const changes = story.records.map((r) => ({
      at: r.at,
      actor: r.by,
      action: r.command,
      purpose: null,
      breakGlass: false,
    }));
    const read = {
      at,
      actor: paramedic,
      action: 'read_summary',
      purpose: 'emergency call',
      breakGlass: false,
    };
    expect(response.body).toEqual({
      items: [...changes.slice(0, 2), read, ...changes.slice(2)].reverse(),
    });
  });
});

describe('GET /worklist/ratifications', () => {
  it('answers 503 when the worklist query is throttled', async () => {
    faults.on(QueryCommand).rejects(throttled());

    const response = await get(
      '/worklist/ratifications',
      '/worklist/ratifications',
      gpToken,
      undefined,
      faultyHandler,
    );

    expect(response.status).toBe(503);
    expect(response.body).toEqual(busy);
  });
});
