import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  InternalServerError,
  ProvisionedThroughputExceededException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { invoke } from '../../../local/api-gateway.ts';
import {
  FAMILY,
  GIVEN,
  GP_PRACTICE,
  NHS,
  NHS_SPACED,
  PlanStory,
  profile,
  revisionItem,
} from '../../support/fixtures.ts';
import { handlerEnvironment, mockedStore, UNIT_TABLE } from '../../support/handler-env.ts';

const env = handlerEnvironment();
const { handler } = await import('../../../functions/http/patients.ts');

/** The raw client (used by the idempotency store): no test may reach the network through it. */
const raw = mockClient(DynamoDBClient);
const gpToken = env.token({ role: 'gp', org: GP_PRACTICE, sub: 'gp-1' });
const personal = [NHS, NHS_SPACED, GIVEN, FAMILY, 'SW1A 1AA', '1941-02-11'];
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

/** The docs/api.md example, as a client sends it. */
const enrolBody = {
  nhsNumber: NHS_SPACED,
  name: { given: GIVEN, family: FAMILY },
  birthDate: '1941-02-11',
  postcode: 'sw1a 1aa',
  gpPractice: GP_PRACTICE,
};
const enrol = (headers: Record<string, string> = {}) =>
  invoke(handler, { method: 'POST', path: '/patients', token: gpToken, body: enrolBody, headers });
const profileItem = {
  pk: `PATIENT#${NHS}`,
  sk: 'PROFILE',
  type: 'patient',
  profile: profile(),
  enrolledAt: '2026-11-20T09:00:00.000Z',
};
const demographics = () =>
  invoke(handler, { method: 'GET', path: `/patients/${NHS}`, resource: '/patients/{nhs}', token: gpToken });

const { ddb, commandNames } = mockedStore(env, personal);
beforeEach(() => raw.reset());
afterAll(() => raw.restore());

describe('POST /patients', () => {
  it('enrols with one conditional put of the profile, its event riding on the item', async () => {
    ddb.on(PutCommand).resolves({});

    const response = await enrol();

    expect(response.status).toBe(201);
    expect(response.headers.location).toBe(`/patients/${NHS}`);
    expect(response.body).toEqual({ ...profile(), enrolledAt: expect.any(String) });
    expect(commandNames()).toEqual(['PutCommand']);
    expect(raw.calls()).toHaveLength(0);
    const input = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(input?.TableName).toBe(UNIT_TABLE);
    expect(input?.ConditionExpression).toBe('attribute_not_exists(sk)');
    expect(input?.Item).toEqual({
      pk: `PATIENT#${NHS}`,
      sk: 'PROFILE',
      type: 'patient',
      profile: profile(),
      careTeam: [GP_PRACTICE], // the enrolling GP's practice is the patient's own
      enrolledAt: response.body?.enrolledAt,
      events: [
        {
          id: expect.any(String),
          type: 'Patient.Enrolled',
          at: response.body?.enrolledAt,
          detail: {
            nhsNumber: NHS,
            gpPractice: GP_PRACTICE,
            enrolledBy: { id: 'gp-1', role: 'gp', organisation: GP_PRACTICE },
          },
        },
      ],
    });
  });

  it('answers 409 when the patient is already enrolled', async () => {
    ddb.on(PutCommand).rejects(conditionFailed());

    const response = await enrol();

    expect(response.status).toBe(409);
    expect(response.body).toEqual({
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      detail: 'this patient is already enrolled',
    });
    expect(commandNames()).toEqual(['PutCommand']);
  });

  it('answers 503 with Retry-After when the put is throttled', async () => {
    ddb
      .on(PutCommand)
      .rejects(new ThrottlingException({ message: 'Throughput exceeds the limit', $metadata: {} }));

    const response = await enrol();

    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.body).toEqual({
      type: 'about:blank',
      title: 'Service Unavailable',
      status: 503,
      detail: 'the service is busy: try again shortly',
    });
  });
});

describe('GET /patients/{nhs}', () => {
  it('reads the profile and plan, writes the access record last, then answers', async () => {
    ddb.on(GetCommand).resolves({ Item: profileItem });
    ddb.on(QueryCommand).resolves({ Items: [revisionItem(new PlanStory(NHS).create())] });
    ddb.on(PutCommand).resolves({});

    const response = await demographics();

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ...profile(), enrolledAt: '2026-11-20T09:00:00.000Z' });
    expect(commandNames().slice(0, 2).sort()).toEqual(['GetCommand', 'QueryCommand']);
    expect(commandNames()[2]).toBe('PutCommand');
    expect(commandNames()).toHaveLength(3);
    const put = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put?.ConditionExpression).toBe('attribute_not_exists(sk)');
    expect(put?.Item).toMatchObject({
      pk: `PATIENT#${NHS}`,
      type: 'access',
      action: 'read_demographics',
      actor: { id: 'gp-1', role: 'gp', organisation: GP_PRACTICE },
      purpose: null,
      breakGlass: false,
    });
  });

  it('fails without the demographics when the access record cannot be written', async () => {
    ddb.on(GetCommand).resolves({ Item: profileItem });
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(PutCommand).rejects(new InternalServerError({ message: 'Internal server error', $metadata: {} }));

    const response = await demographics();

    expect(response.status).toBe(500);
    expect(response.body).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'something went wrong; nothing was changed',
    });
    for (const secret of personal) expect(response.raw).not.toContain(secret);
  });

  it('answers 503 when the profile read is throttled, writing no access record', async () => {
    ddb
      .on(GetCommand)
      .rejects(
        new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeded', $metadata: {} }),
      );
    ddb.on(QueryCommand).resolves({ Items: [] });

    const response = await demographics();

    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });
});
