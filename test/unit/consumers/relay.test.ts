import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandInput,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../../domain/events.ts';
import { toEntry } from '../../../events/wire.ts';
import type { Publish } from '../../../functions/consumers/relay.ts';
import { lambdaContext } from '../../../local/api-gateway.ts';
import { captureLogs } from '../../support/logs.ts';
import { accessEvents, outboxItem, streamRecord } from '../../support/stream-records.ts';

type RelayModule = typeof import('../../../functions/consumers/relay.ts');

const BUS = 'ucp-relay-test-bus';
const eventBridge = mockClient(EventBridgeClient);
let relayModule: RelayModule;
let logs: ReturnType<typeof captureLogs>;

beforeAll(async () => {
  // The handler's client and bus name are read on first use: set the environment first.
  process.env.EVENT_BUS_NAME = BUS;
  process.env.AWS_REGION = 'eu-west-2';
  process.env.AWS_ACCESS_KEY_ID = 'unit';
  process.env.AWS_SECRET_ACCESS_KEY = 'unit';
  relayModule = await import('../../../functions/consumers/relay.ts');
});
beforeEach(() => {
  eventBridge.reset();
  logs?.restore();
  logs = captureLogs();
});
afterAll(() => {
  logs?.restore();
  eventBridge.restore();
});

const batch = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });

/** The `detail.eventId`s of some entries, in order. */
const idsOf = (entries: readonly PutEventsRequestEntry[] | undefined): string[] =>
  (entries ?? []).map((entry) => JSON.parse(entry.Detail ?? '{}').eventId);

const putEventsInputs = (): PutEventsCommandInput[] =>
  eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input);

const acceptAll = () =>
  eventBridge.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => ({
    FailedEntryCount: 0,
    Entries: (input.Entries ?? []).map((_, i) => ({ EventId: `eb-${i}` })),
  }));

describe('relay handler (EventBridge SDK mocked)', () => {
  it('puts the events of an INSERT on the bus named by EVENT_BUS_NAME, as the catalogue entries', async () => {
    acceptAll();
    const events = accessEvents('happy', 2);
    const response = await relayModule.handler(
      batch(streamRecord('1001', outboxItem(events))),
      lambdaContext('relay'),
    );

    expect(response).toEqual({ batchItemFailures: [] });
    const inputs = putEventsInputs();
    expect(inputs).toHaveLength(1);
    expect(inputs[0]?.Entries).toEqual(events.map((e) => toEntry(e, BUS)));
    expect(inputs[0]?.Entries?.map((e) => e.EventBusName)).toEqual([BUS, BUS]);
    expect(inputs[0]?.Entries?.map((e) => e.Source)).toEqual(['urgent-care-plans', 'urgent-care-plans']);
    expect(inputs[0]?.Entries?.map((e) => JSON.parse(e.Detail ?? '').version)).toEqual([1, 1]);
  });

  it('sends 23 events in PutEvents calls of at most 10 entries (10, 10, 3), in order', async () => {
    acceptAll();
    const a = accessEvents('big', 7, 0);
    const b = accessEvents('big', 9, 7);
    const c = accessEvents('big', 7, 16);
    const response = await relayModule.handler(
      batch(
        streamRecord('2001', outboxItem(a)),
        streamRecord('2002', outboxItem(b, 'revision')),
        streamRecord('2003', outboxItem(c)),
      ),
      lambdaContext('relay'),
    );

    expect(response).toEqual({ batchItemFailures: [] });
    const inputs = putEventsInputs();
    expect(inputs.map((input) => input.Entries?.length)).toEqual([10, 10, 3]);
    expect(inputs.flatMap((input) => idsOf(input.Entries))).toEqual([...a, ...b, ...c].map((e) => e.id));
  });

  it('retries only the entries PutEvents reports failed, then reports no failures', async () => {
    const events = accessEvents('sdk-partial', 3);
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [
          { EventId: 'eb-0' },
          { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' },
          { EventId: 'eb-2' },
        ],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'eb-3' }] });
    const response = await relayModule.handler(
      batch(streamRecord('3001', outboxItem(events))),
      lambdaContext('relay'),
    );

    expect(response).toEqual({ batchItemFailures: [] });
    expect(putEventsInputs().map((input) => idsOf(input.Entries))).toEqual([
      ['sdk-partial-000', 'sdk-partial-001', 'sdk-partial-002'],
      ['sdk-partial-001'],
    ]);
  });

  it('publishes nothing for MODIFY and REMOVE records, or items without events', async () => {
    acceptAll();
    const events = accessEvents('ignored', 2);
    const response = await relayModule.handler(
      batch(
        streamRecord('4001', outboxItem(events), 'MODIFY'),
        streamRecord('4002', outboxItem(events), 'REMOVE'),
        streamRecord('4003', { pk: 'ORG#A81001', sk: 'AWAITING#9434765919', type: 'worklist' }),
        streamRecord('4004', outboxItem([], 'revision')),
      ),
      lambdaContext('relay'),
    );

    expect(response).toEqual({ batchItemFailures: [] });
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});

/** A fake PutEvents: `decide` says, per call and per entry, whether it fails (an ErrorCode) or throws. */
const fakePublish = (decide: (eventId: string, call: number) => string | undefined | 'throw') => {
  const calls: string[][] = [];
  const publish: Publish = async (entries) => {
    const call = calls.length + 1;
    const ids = idsOf(entries);
    calls.push(ids);
    if (ids.some((id) => decide(id, call) === 'throw')) {
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    }
    return ids.map((id, i): PutEventsResultEntry => {
      const code = decide(id, call);
      return code ? { ErrorCode: code, ErrorMessage: 'failed' } : { EventId: `eb-${call}-${i}` };
    });
  };
  return { publish, calls };
};

const relayWith = (publish: Publish, maxAttempts = 4) => {
  const sleeps: number[] = [];
  const relay = relayModule.createRelay(publish, BUS, {
    maxAttempts,
    baseDelayMs: 100,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { relay, sleeps };
};

const ids = (events: DomainEvent[]) => events.map((e) => e.id);

describe('createRelay: retries and batch item failures', () => {
  it('a partial failure is retried with only the failed entries, and then succeeds', async () => {
    const events = accessEvents('partial', 5);
    const { publish, calls } = fakePublish((id, call) =>
      call === 1 && (id === 'partial-001' || id === 'partial-003') ? 'ThrottlingException' : undefined,
    );
    const { relay, sleeps } = relayWith(publish);
    const response = await relay(batch(streamRecord('5001', outboxItem(events))), lambdaContext('relay'));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(calls).toEqual([ids(events), ['partial-001', 'partial-003']]);
    expect(sleeps).toEqual([100]);
  });

  it('after maxAttempts, reports exactly the records whose events failed, by SequenceNumber', async () => {
    // r1: 6 events, r2: 6 events, r3: 1 event; 13 entries make chunks of 10 and 3.
    const r1 = accessEvents('persist', 6, 0);
    const r2 = accessEvents('persist', 6, 6);
    const r3 = accessEvents('persist', 1, 12);
    const r4 = accessEvents('persist', 2, 13);
    const { publish, calls } = fakePublish((id) =>
      id === 'persist-007' || id === 'persist-014' ? 'InternalFailure' : undefined,
    );
    const { relay, sleeps } = relayWith(publish, 3);
    const response = await relay(
      batch(
        streamRecord('6001', outboxItem(r1)),
        streamRecord('6002', outboxItem(r2)),
        streamRecord('6003', outboxItem(r3)),
        streamRecord('6004', outboxItem(r4)),
      ),
      lambdaContext('relay'),
    );

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '6002' }, { itemIdentifier: '6004' }] });
    expect(calls).toEqual([
      ids([...r1, ...r2]).slice(0, 10),
      ['persist-007'],
      ['persist-007'],
      [...ids(r2).slice(4), ...ids(r3), ...ids(r4)],
      ['persist-014'],
      ['persist-014'],
    ]);
    expect(sleeps).toEqual([100, 200, 100, 200]);
  });

  it('a thrown PutEvents error (network) is retried with the same entries', async () => {
    const events = accessEvents('thrown', 3);
    const { publish, calls } = fakePublish((_, call) => (call === 1 ? 'throw' : undefined));
    const { relay, sleeps } = relayWith(publish);
    const response = await relay(batch(streamRecord('7001', outboxItem(events))), lambdaContext('relay'));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(calls).toEqual([ids(events), ids(events)]);
    expect(sleeps).toEqual([100]);
  });

  it('a call that keeps throwing fails every record in its chunk, and only those', async () => {
    const first = accessEvents('down', 4, 0);
    const second = accessEvents('down', 6, 4);
    const third = accessEvents('down', 1, 10);
    // Only calls carrying the first chunk throw; the third record goes in the next chunk.
    const { publish, calls } = fakePublish((id) => (id === 'down-000' ? 'throw' : undefined));
    const { relay } = relayWith(publish, 2);
    const response = await relay(
      batch(
        streamRecord('8001', outboxItem(first)),
        streamRecord('8002', outboxItem(second)),
        streamRecord('8003', outboxItem(third)),
      ),
      lambdaContext('relay'),
    );

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '8001' }, { itemIdentifier: '8002' }] });
    expect(calls).toEqual([ids([...first, ...second]), ids([...first, ...second]), ids(third)]);
    expect(logs.containing(['PutEvents call failed'])).toHaveLength(2);
  });

  it('backs off exponentially between attempts: 100, 200, 400 ms, and not after the last', async () => {
    const events = accessEvents('backoff', 1);
    const { publish, calls } = fakePublish(() => 'ServiceUnavailable');
    const { relay, sleeps } = relayWith(publish, 4);
    const response = await relay(batch(streamRecord('9001', outboxItem(events))), lambdaContext('relay'));

    expect(sleeps).toEqual([100, 200, 400]);
    expect(calls).toHaveLength(4);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '9001' }] });
  });

  it('an entry with no result is treated as failed', async () => {
    const events = accessEvents('short', 3);
    let call = 0;
    const seen: string[][] = [];
    const publish: Publish = async (entries) => {
      call += 1;
      seen.push(idsOf(entries));
      // PutEvents answering fewer results than entries: the missing ones must not count as sent.
      return call === 1 ? [{ EventId: 'eb-0' }] : entries.map((_, i) => ({ EventId: `eb-r${i}` }));
    };
    const { relay } = relayWith(publish);
    const response = await relay(batch(streamRecord('9101', outboxItem(events))), lambdaContext('relay'));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(seen).toEqual([ids(events), ['short-001', 'short-002']]);
  });

  it('MODIFY, REMOVE and event-less items publish nothing and fail nothing', async () => {
    const { publish, calls } = fakePublish(() => undefined);
    const { relay } = relayWith(publish);
    const events = accessEvents('noop', 1);
    const response = await relay(
      batch(
        streamRecord('9201', outboxItem(events), 'MODIFY'),
        streamRecord('9202', outboxItem(events), 'REMOVE'),
        streamRecord('9203', { pk: 'PATIENT#9434765919', sk: 'CARETEAM#A81001', type: 'careTeam' }),
        streamRecord('9204', { pk: 'PATIENT#9434765919', sk: 'REV#000000001', type: 'revision', events: [] }),
      ),
      lambdaContext('relay'),
    );

    expect(response).toEqual({ batchItemFailures: [] });
    expect(calls).toEqual([]);
  });

  it("logs ids and counts only, under the invocation's request id: no NHS number in what the relay logs on failure", async () => {
    const events = accessEvents('quiet', 2);
    const { publish } = fakePublish(() => 'InternalFailure');
    const { relay } = relayWith(publish, 2);
    await relay(
      batch(streamRecord('9301', outboxItem(events))),
      lambdaContext('ucp-dev-relay', 'relay-9301'),
    );

    const failures = logs.containing(['events not published after retries']);
    expect(failures).toHaveLength(1);
    expect(JSON.parse(failures[0] ?? '')).toMatchObject({
      entries: 2,
      function_request_id: 'relay-9301',
      function_name: 'ucp-dev-relay',
    });
    expect(logs.containing(['9434765919'])).toEqual([]);
  });
});
