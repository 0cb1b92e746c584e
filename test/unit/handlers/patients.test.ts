import {
  InternalServerError,
  ProvisionedThroughputExceededException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { invoke } from '../../../local/api-gateway.ts';
import {
  FAMILY,
  GIVEN,
  GP_PRACTICE,
  NHS,
  NHS_SPACED,
  PlanStory,
  patientRecord,
  profile,
} from '../../support/fixtures.ts';
import { handlerEnvironment, realStore } from '../../support/handler-env.ts';

const env = handlerEnvironment();
const gpToken = env.token({ role: 'gp', org: GP_PRACTICE, sub: 'gp-1' });
const personal = [NHS, NHS_SPACED, GIVEN, FAMILY, 'SW1A 1AA', '1941-02-11'];

const { db, store, faulty, faults } = await realStore(env, personal, 'ucp-patients-handler');
const { createHandler } = await import('../../../functions/http/patients.ts');
const handler = createHandler(store);
/** The same handler on ports whose sends a test can make fail. */
const faultyHandler = createHandler(faulty);

/** The docs/api.md example, as a client sends it. */
const enrolBody = {
  nhsNumber: NHS_SPACED,
  name: { given: GIVEN, family: FAMILY },
  birthDate: '1941-02-11',
  postcode: 'sw1a 1aa',
  gpPractice: GP_PRACTICE,
};
const enrol = (on = handler) =>
  invoke(on, { method: 'POST', path: '/patients', token: gpToken, body: enrolBody });
const demographics = (on = handler) =>
  invoke(on, { method: 'GET', path: `/patients/${NHS}`, resource: '/patients/{nhs}', token: gpToken });
const reads = async () => (await store.audit.accessLog(NHS, { limit: 50 })).items;

describe('POST /patients', () => {
  it('enrols with one write of the profile', async () => {
    const response = await enrol();

    expect(response.status).toBe(201);
    expect(response.headers.location).toBe(`/patients/${NHS}`);
    expect(response.body).toEqual({ ...profile(), enrolledAt: expect.any(String) });
    expect(db.operations).toEqual(['PutItem']);
    expect(await store.patients.get(NHS)).toEqual({
      profile: profile(),
      careTeam: [GP_PRACTICE], // the enrolling GP's practice is the patient's own
      careTeamDetails: {
        [GP_PRACTICE]: {
          reason: 'gp_practice',
          since: response.body?.enrolledAt,
          addedBy: { id: 'gp-1', role: 'gp', organisation: GP_PRACTICE },
        },
      },
      enrolledAt: response.body?.enrolledAt,
    });
  });

  it('answers 409 when the patient is already enrolled, changing nothing', async () => {
    await store.patients.enrol(patientRecord(), []);

    const response = await enrol();

    expect(response.status).toBe(409);
    expect(response.body).toEqual({
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      detail: 'this patient is already enrolled',
    });
    expect(await store.patients.get(NHS)).toEqual(patientRecord());
  });

  it('answers 503 with Retry-After when the put is throttled', async () => {
    faults
      .on(PutCommand)
      .rejects(new ThrottlingException({ message: 'Throughput exceeds the limit', $metadata: {} }));

    const response = await enrol(faultyHandler);

    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.body).toEqual({
      type: 'about:blank',
      title: 'Service Unavailable',
      status: 503,
      detail: 'the service is busy: try again shortly',
    });
    expect(await store.patients.get(NHS)).toBeNull();
  });
});

describe('GET /patients/{nhs}', () => {
  it('reads the profile and plan, writes the access record last, then answers', async () => {
    await store.patients.enrol(patientRecord(), []);
    await store.plans.append(new PlanStory(NHS).create());
    db.operations.length = 0;

    const response = await demographics();

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ...profile(), enrolledAt: '2026-11-20T09:00:00.000Z' });
    expect(db.operations.slice(0, 2).sort()).toEqual(['GetItem', 'Query']);
    expect(db.operations.slice(2)).toEqual(['PutItem']);
    expect((await reads()).filter((e) => e.action === 'read_demographics')).toEqual([
      {
        at: expect.any(String),
        actor: { id: 'gp-1', role: 'gp', organisation: GP_PRACTICE },
        action: 'read_demographics',
        purpose: null,
        breakGlass: false,
      },
    ]);
  });

  it('fails without the demographics when the access record cannot be written', async () => {
    await store.patients.enrol(patientRecord(), []);
    faults
      .on(PutCommand)
      .rejects(new InternalServerError({ message: 'Internal server error', $metadata: {} }));

    const response = await demographics(faultyHandler);

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
    await store.patients.enrol(patientRecord(), []);
    faults
      .on(GetCommand)
      .rejects(
        new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeded', $metadata: {} }),
      );

    const response = await demographics(faultyHandler);

    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(await reads()).toEqual([]);
  });
});
