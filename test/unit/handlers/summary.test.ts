import {
  ConditionalCheckFailedException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { invoke } from '../../../local/api-gateway.ts';
import { AMBULANCE, FAMILY, GIVEN, NHS, NHS_SPACED, PlanStory, planStrings } from '../../support/fixtures.ts';
import { handlerEnvironment, realStore } from '../../support/handler-env.ts';

const env = handlerEnvironment();

const paramedicToken = env.token({ role: 'paramedic', org: AMBULANCE, sub: 'paramedic-1' });
const path = `/patients/${NHS}/plan/summary`;
const resource = '/patients/{nhs}/plan/summary';

/** Personal and clinical data that must never reach a log line or an error body. */
const personal = [NHS, NHS_SPACED, GIVEN, FAMILY, ...planStrings];

const { db, store, faulty, faults, logs, operations } = await realStore(env, personal, 'ucp-summary-handler');
const { createHandler } = await import('../../../functions/http/summary.ts');
const { serviceSigner } = await import('../../../functions/platform/composition-root.ts');
const handler = createHandler({ ...store, signer: serviceSigner });
/** The same handler on ports whose sends a test can make fail. */
const faultyHandler = createHandler({ ...faulty, signer: serviceSigner });

const getSummary = (query?: Record<string, string>, token = paramedicToken, on = handler) =>
  invoke(on, { method: 'GET', path, resource, token, ...(query && { query }) });

const published = PlanStory.published(NHS, 1);
const publish = async (story = published) => {
  for (const record of story.records) await store.plans.append(record);
  db.operations.length = 0;
};
const accessLog = async () =>
  (await store.audit.accessLog(NHS, { limit: 50 })).items.filter((e) => e.action.startsWith('read'));
const reader = { id: 'paramedic-1', role: 'paramedic', organisation: AMBULANCE };

describe('GET /patients/{nhs}/plan/summary', () => {
  it('reads once, writes the access record, then answers with the crisis summary', async () => {
    await publish();

    const response = await getSummary({ purpose: 'emergency call' });

    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toEqual({
      nhsNumber: NHS,
      version: 1,
      ratifiedAt: published.current.published?.ratifiedAt,
      cpr: {
        decision: 'dnacpr',
        decisionDate: '2026-11-20',
        decidedBy: { name: 'Dr A Patel', role: 'gp' },
        discussedWithPatient: true,
      },
      treatment: { ceiling: 'comfort', carePriority: 5 },
      preferredPlaceOfDeath: { code: 'home', text: 'at home with my cat' },
      anticipatoryMedicines: { prescribed: true, location: 'kitchen drawer' },
      contacts: [{ name: 'Ruth Byron', relationship: 'daughter', phone: '07700 900123' }],
      homeAccess: 'key safe by the back door, code from daughter',
    });

    // One read of the newest revision, then the one write: the access record.
    expect(operations()).toEqual(['Query', 'PutItem']);
    expect(await accessLog()).toEqual([
      {
        at: expect.any(String),
        actor: reader,
        action: 'read_summary',
        purpose: 'emergency call',
        breakGlass: false,
      },
    ]);
  });

  it('does not answer before the access record is written', async () => {
    await publish();
    let release: () => void = () => undefined;
    const written = new Promise<void>((resolve) => {
      release = resolve;
    });
    let answered = false;
    faults.on(PutCommand).callsFake(async (input) => {
      await written;
      return store.audit.recordAccess(input.Item as never).then(() => ({}));
    });

    const pending = getSummary(undefined, paramedicToken, faultyHandler).then((r) => {
      answered = true;
      return r;
    });
    // Until the access record's put is under way (a loaded machine takes more than a few ms to read).
    const commands = () => faults.calls().map((c) => (c.args[0] as object).constructor.name);
    await vi.waitFor(() => expect(commands()).toContain('PutCommand'), { timeout: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answered).toBe(false);
    expect(commands()).toEqual(['QueryCommand', 'PutCommand']);
    release();
    expect((await pending).status).toBe(200);
    expect(await accessLog()).toHaveLength(1);
  });

  it.each([
    [
      'a server error',
      () => new InternalServerError({ message: 'Internal server error', $metadata: {} }),
      500,
    ],
    ['a network failure', () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }), 500],
    [
      'a condition failure',
      () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      500,
    ],
    [
      'throttling',
      () =>
        new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeded', $metadata: {} }),
      503,
    ],
  ])(
    'fails the read when the access record cannot be written (%s): no unaudited access',
    async (_, error, status) => {
      await publish();
      faults.on(PutCommand).rejects(error());

      const response = await getSummary({ purpose: 'emergency call' }, paramedicToken, faultyHandler);

      expect(response.status).toBe(status);
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(await accessLog()).toEqual([]);
      // No plan data, no patient identifier: only the problem.
      for (const secret of personal) expect(response.raw).not.toContain(secret);
      expect(Object.keys(response.body ?? {}).sort()).toEqual(['detail', 'status', 'title', 'type']);
    },
  );

  it.each([
    [
      'ProvisionedThroughputExceededException',
      () =>
        new ProvisionedThroughputExceededException({ message: 'Rate of requests exceeded', $metadata: {} }),
    ],
    [
      'ThrottlingException',
      () => new ThrottlingException({ message: 'Throughput exceeds the limit', $metadata: {} }),
    ],
    [
      'RequestLimitExceeded',
      () => new RequestLimitExceeded({ message: 'Throughput exceeds the account limit', $metadata: {} }),
    ],
  ])('answers 503 with Retry-After when the read is throttled (%s)', async (name, error) => {
    await publish();
    faults.on(QueryCommand).rejects(error());

    const response = await getSummary(undefined, paramedicToken, faultyHandler);

    expect(response.status).toBe(503);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.headers['retry-after']).toBe('1');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toEqual({
      type: 'about:blank',
      title: 'Service Unavailable',
      status: 503,
      detail: 'the service is busy: try again shortly',
    });
    expect(response.raw).not.toMatch(/stack|\bat .+:\d+:\d+|node_modules|Rate of requests|Throughput/);
    // Nothing was read, so nothing is audited and nothing written.
    expect(await accessLog()).toEqual([]);
    // The warning names the error, and only that.
    const warnings = logs().lines.filter((line) => line.includes('data store throttled'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0] as string)).toMatchObject({
      level: 'WARN',
      message: 'data store throttled',
      error: name,
    });
  });

  it('answers a bare 500 problem for an unexpected failure, without its message or stack', async () => {
    faults
      .on(QueryCommand)
      .rejects(
        new TypeError(`Cannot read properties of undefined (reading '${NHS}') for ${GIVEN} ${FAMILY}`),
      );

    const response = await getSummary(undefined, paramedicToken, faultyHandler);

    expect(response.status).toBe(500);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.body).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'something went wrong; nothing was changed',
    });
    expect(response.raw).not.toMatch(/TypeError|Cannot read|stack|node_modules/);
    const errors = logs().lines.filter((line) => line.includes('unhandled failure'));
    expect(errors).toHaveLength(1);
    expect(JSON.parse(errors[0] as string)).toMatchObject({ level: 'ERROR', error: 'TypeError' });
  });

  it('answers 404 for a withdrawn plan, with no plan data', async () => {
    const story = PlanStory.published(NHS, 1);
    story.withdraw();
    await publish(story);

    const response = await getSummary();

    expect(response.status).toBe(404);
    expect(response.body).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'this patient has no plan shared with you',
    });
  });

  it('answers 401 without a token, touching no data', async () => {
    const response = await invoke(handler, { method: 'GET', path, resource });

    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.body).toEqual({
      type: 'about:blank',
      title: 'Unauthorized',
      status: 401,
      detail: 'missing bearer token',
    });
    expect(operations()).toEqual([]);
  });
});
