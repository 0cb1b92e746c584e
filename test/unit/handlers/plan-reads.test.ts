import { InternalServerError, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
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
  planStrings,
  profile,
  revisionItem,
} from '../../support/fixtures.ts';
import { handlerEnvironment, mockedStore } from '../../support/handler-env.ts';

const env = handlerEnvironment();
const { handler } = await import('../../../functions/http/plan-reads.ts');

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

const story = PlanStory.published(NHS, 2);
const current = revisionItem(story.records.at(-1) as never);
const ratifications = story.records.filter((r) => r.command === 'ratify').map(revisionItem);
const get = (path: string, resource: string, token = gpToken, query?: Record<string, string>) =>
  invoke(handler, { method: 'GET', path, resource, token, ...(query && { query }) });

const { ddb, commandNames } = mockedStore(env, personal);

describe('GET /patients/{nhs}/plan', () => {
  const read = () => get(`/patients/${NHS}/plan`, '/patients/{nhs}/plan');

  it('reads the newest revision, writes the access record, then answers with the ETag', async () => {
    ddb.on(QueryCommand).resolves({ Items: [current] });
    ddb.on(PutCommand).resolves({});

    const response = await read();

    expect(response.status).toBe(200);
    expect(response.headers.etag).toBe(`"${story.current.revision}"`);
    expect(response.body).toMatchObject({ nhsNumber: NHS, status: 'published', revision: 6 });
    expect(commandNames()).toEqual(['QueryCommand', 'PutCommand']);
    const put = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put?.ConditionExpression).toBe('attribute_not_exists(sk)');
    expect(put?.Item).toMatchObject({ type: 'access', action: 'read_plan' });
  });

  it('fails without plan data when the access record cannot be written', async () => {
    ddb.on(QueryCommand).resolves({ Items: [current] });
    ddb.on(PutCommand).rejects(new InternalServerError({ message: 'Internal server error', $metadata: {} }));

    const response = await read();

    expect(response.status).toBe(500);
    for (const secret of personal) expect(response.raw).not.toContain(secret);
    expect(response.headers.etag).toBeUndefined();
  });

  it('answers 503 when the read is throttled', async () => {
    ddb.on(QueryCommand).rejects(throttled());

    const response = await read();

    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.body).toEqual(busy);
    expect(commandNames()).toEqual(['QueryCommand']);
  });
});

describe('GET /patients/{nhs}/plan/versions', () => {
  const versions = (query?: Record<string, string>) =>
    get(`/patients/${NHS}/plan/versions`, '/patients/{nhs}/plan/versions', gpToken, query);

  it('lists versions after writing the access record', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [current] })
      .resolves({ Items: [...ratifications].reverse() });
    ddb.on(PutCommand).resolves({});

    const response = await versions();

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      items: [2, 1].map((v) => {
        const p = story.records.find((r) => r.command === 'ratify' && r.plan.published?.version === v)?.plan
          .published;
        return { version: v, ratifiedAt: p?.ratifiedAt, ratifiedBy: p?.ratifiedBy };
      }),
    });
    expect(commandNames()).toEqual(['QueryCommand', 'QueryCommand', 'PutCommand']);
  });

  it('answers 400 for a cursor the service did not issue, reading no versions', async () => {
    ddb.on(QueryCommand).resolves({ Items: [current] });

    const response = await versions({ next: 'bm90LWEtY3Vyc29y' });

    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      type: 'about:blank',
      title: 'Bad Request',
      status: 400,
      detail: 'the next cursor is not valid for this list',
      errors: [{ path: 'next', message: 'invalid cursor' }],
    });
    expect(commandNames()).toEqual(['QueryCommand']);
  });

  it('answers 503 when the versions query is throttled', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [current] })
      .rejects(throttled());

    const response = await versions();

    expect(response.status).toBe(503);
    expect(response.body).toEqual(busy);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });
});

describe('GET /patients/{nhs}/access-log', () => {
  const log = () => get(`/patients/${NHS}/access-log`, '/patients/{nhs}/access-log', patientToken);

  it('answers 503 when a log query is throttled', async () => {
    ddb.on(GetCommand).resolves({ Item: { profile: profile(), enrolledAt: '2026-11-20T09:00:00.000Z' } });
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':prefix': 'ACCESS#' } }, false).rejects(throttled());
    ddb.on(QueryCommand, { ExpressionAttributeValues: { ':prefix': 'REV#' } }, false).resolves({ Items: [] });

    const response = await log();

    expect(response.status).toBe(503);
    expect(response.body).toEqual(busy);
  });

  it('merges access records and revisions for the patient', async () => {
    ddb.on(GetCommand).resolves({ Item: { profile: profile(), enrolledAt: '2026-11-20T09:00:00.000Z' } });
    const access = {
      pk: `PATIENT#${NHS}`,
      sk: 'ACCESS#2026-11-21T10:02:30.000Z#01JACCESS0000000000000001',
      type: 'access',
      at: '2026-11-21T10:02:30.000Z',
      actor: { id: 'paramedic-1', role: 'paramedic', organisation: AMBULANCE },
      action: 'read_summary',
      purpose: 'emergency call',
      breakGlass: false,
    };
    const [created, submitted] = story.records.map(revisionItem);
    ddb
      .on(QueryCommand, { ExpressionAttributeValues: { ':prefix': 'ACCESS#' } }, false)
      .resolves({ Items: [access] });
    ddb
      .on(QueryCommand, { ExpressionAttributeValues: { ':prefix': 'REV#' } }, false)
      .resolves({ Items: [submitted as never, created as never] });

    const response = await log();

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      items: [
        {
          at: '2026-11-21T10:02:30.000Z',
          actor: { id: 'paramedic-1', role: 'paramedic', organisation: AMBULANCE },
          action: 'read_summary',
          purpose: 'emergency call',
          breakGlass: false,
        },
        {
          at: story.records[1]?.at,
          actor: story.records[1]?.by,
          action: 'submit',
          purpose: null,
          breakGlass: false,
        },
        {
          at: story.records[0]?.at,
          actor: story.records[0]?.by,
          action: 'create',
          purpose: null,
          breakGlass: false,
        },
      ],
    });
  });
});

describe('GET /worklist/ratifications', () => {
  it('answers 503 when the worklist query is throttled', async () => {
    ddb.on(QueryCommand).rejects(throttled());

    const response = await get('/worklist/ratifications', '/worklist/ratifications');

    expect(response.status).toBe(503);
    expect(response.body).toEqual(busy);
  });
});
