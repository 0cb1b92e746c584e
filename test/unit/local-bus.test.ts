import type { EventBridgeEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DomainEvent, type EventDetails, type EventType, raise } from '../../domain/events.ts';
import { type Subscription, subscriptions } from '../../events/subscriptions.ts';
import { toDetail, toEntry } from '../../events/wire.ts';
import { createLocalBus, matches } from '../../local/bus.ts';
import { captureLogs } from '../support/logs.ts';

type BusEvent = EventBridgeEvent<string, Record<string, unknown>>;

const NHS = '9434765919';
const reader = { id: 'ed-1@RJ1', role: 'ed_clinician' as const, organisation: 'RJ1' };
const by = { id: 'gp-1@A81001', role: 'gp' as const, organisation: 'A81001' };

let ids = 0;
const event = <T extends EventType>(type: T, detail: EventDetails[T]): DomainEvent<T> =>
  raise(type, detail, {
    now: '2026-11-21T10:15:30.123Z',
    newId: () => `01KB${String(++ids).padStart(22, '0')}`,
  });

const ratified = () =>
  event('CarePlan.Ratified', {
    nhsNumber: NHS,
    revision: 4,
    version: 2,
    ratifiedBy: by,
    careTeam: ['A81001'],
  });
const accessed = (breakGlass: boolean) =>
  event('CarePlan.Accessed', {
    nhsNumber: NHS,
    accessId: `access-${ids}`,
    reader,
    action: 'read_plan',
    purpose: breakGlass ? 'unconscious in resus' : null,
    breakGlass,
  });
const enrolled = () => event('Patient.Enrolled', { nhsNumber: NHS, gpPractice: 'A81001', enrolledBy: by });

/** The event EventBridge would deliver for a domain event. */
const busEvent = (
  type: string,
  detail: Record<string, unknown>,
  source: string = 'urgent-care-plans',
): BusEvent => ({
  version: '0',
  id: 'eb-1',
  'detail-type': type,
  source,
  account: '000000000000',
  time: '2026-11-21T10:15:30Z',
  region: 'eu-west-2',
  resources: [],
  detail,
});

const subscription = (id: string): Subscription => {
  const found = subscriptions.find((s) => s.id === id);
  if (!found) throw new Error(`no subscription ${id}`);
  return found;
};
const matching = (e: BusEvent) => subscriptions.filter((s) => matches(s.pattern, e)).map((s) => s.id);

describe('matches: EventBridge exact-value patterns', () => {
  it('honours the source', () => {
    const detail = toDetail(ratified()) as Record<string, unknown>;
    expect(
      matches(subscription('PlanChangeNotifications').pattern, busEvent('CarePlan.Ratified', detail)),
    ).toBe(true);
    expect(
      matches(
        subscription('PlanChangeNotifications').pattern,
        busEvent('CarePlan.Ratified', detail, 'someone-else'),
      ),
    ).toBe(false);
    expect(matching(busEvent('CarePlan.Ratified', detail, 'aws.events'))).toEqual([]);
  });

  it('honours the detail-type', () => {
    const detail = toDetail(ratified()) as Record<string, unknown>;
    expect(matching(busEvent('CarePlan.Ratified', detail))).toEqual([
      'PlanChangeNotifications',
      'AuditArchive',
    ]);
    expect(matching(busEvent('CarePlan.Created', detail))).toEqual(['AuditArchive']);
    expect(matching(busEvent('CarePlan.Ratified.v2', detail))).toEqual([]);
    expect(matching(busEvent('careplan.ratified', detail))).toEqual([]);
  });

  it('honours detail exact values: breakGlass true only', () => {
    const pattern = subscription('BreakGlassAlerts').pattern;
    const base = toDetail(accessed(false)) as Record<string, unknown>;
    expect(matches(pattern, busEvent('CarePlan.Accessed', { ...base, breakGlass: true }))).toBe(true);
    expect(matches(pattern, busEvent('CarePlan.Accessed', { ...base, breakGlass: false }))).toBe(false);
    expect(matches(pattern, busEvent('CarePlan.Accessed', { ...base, breakGlass: 'true' }))).toBe(false);
    expect(matches(pattern, busEvent('CarePlan.Accessed', { ...base, breakGlass: 1 }))).toBe(false);
    const { breakGlass: _omitted, ...withoutFlag } = base;
    expect(matches(pattern, busEvent('CarePlan.Accessed', withoutFlag))).toBe(false);
    // the detail filter does not relax the detail-type
    expect(matches(pattern, busEvent('CarePlan.Ratified', { ...base, breakGlass: true }))).toBe(false);
  });

  it('only BreakGlassAlerts filters on the detail, and on breakGlass: [true] exactly', () => {
    expect(subscriptions.filter((s) => s.pattern.detail).map((s) => [s.id, s.pattern.detail])).toEqual([
      ['BreakGlassAlerts', { breakGlass: [true] }],
    ]);
  });

  it('routes accesses: break-glass to notifications and audit, the rest to audit only', () => {
    expect(matching(busEvent('CarePlan.Accessed', toDetail(accessed(true)) as never))).toEqual([
      'BreakGlassAlerts',
      'AuditArchive',
    ]);
    expect(matching(busEvent('CarePlan.Accessed', toDetail(accessed(false)) as never))).toEqual([
      'AuditArchive',
    ]);
  });
});

describe('createLocalBus', () => {
  let logs: ReturnType<typeof captureLogs>;
  beforeEach(() => {
    logs = captureLogs();
  });
  afterEach(() => logs.restore());

  const recordingTargets = (fail: { notifications?: boolean; auditArchive?: boolean } = {}) => {
    const received = { notifications: [] as BusEvent[], auditArchive: [] as BusEvent[] };
    const target = (name: keyof typeof received) => async (e: EventBridgeEvent<string, never>) => {
      received[name].push(e as BusEvent);
      if (fail[name]) throw Object.assign(new Error('SES said no'), { name: 'MessageRejected' });
    };
    return {
      received,
      targets: { notifications: target('notifications'), auditArchive: target('auditArchive') },
    };
  };

  it('delivers each entry to every consumer whose subscription matches', async () => {
    const { received, targets } = recordingTargets();
    const publish = createLocalBus(targets);
    const r = ratified();
    const quiet = accessed(false);
    const loud = accessed(true);
    const e = enrolled();
    const results = await publish([r, quiet, loud, e].map((x) => toEntry(x, 'local')));

    const idsOf = (list: BusEvent[]) => list.map((x) => x.detail.eventId);
    expect(idsOf(received.notifications)).toEqual([r.id, loud.id]);
    expect(idsOf(received.auditArchive)).toEqual([r.id, quiet.id, loud.id, e.id]);
    expect(results).toHaveLength(4);
    for (const result of results) {
      expect(result.EventId).toEqual(expect.any(String));
      expect(result.ErrorCode).toBeUndefined();
    }
    expect(new Set(results.map((x) => x.EventId)).size).toBe(4);
  });

  it('delivers the event EventBridge would: envelope, detail from the catalogue, same id as the result', async () => {
    const { received, targets } = recordingTargets();
    const r = ratified();
    const [result] = await createLocalBus(targets)([toEntry(r, 'local')]);
    const [delivered] = received.auditArchive;

    expect(delivered).toEqual({
      version: '0',
      id: result?.EventId,
      'detail-type': 'CarePlan.Ratified',
      source: 'urgent-care-plans',
      account: '000000000000',
      time: '2026-11-21T10:15:30Z',
      region: 'eu-west-2',
      resources: [],
      detail: toDetail(r),
    });
    // each consumer gets the same event
    expect(received.notifications).toEqual([delivered]);
  });

  it('a failing target neither stops the others nor fails the publish', async () => {
    const { received, targets } = recordingTargets({ notifications: true });
    const r = ratified();
    const loud = accessed(true);
    const quiet = accessed(false);
    const results = await createLocalBus(targets)([r, loud, quiet].map((x) => toEntry(x, 'local')));

    expect(received.notifications.map((x) => x.detail.eventId)).toEqual([r.id, loud.id]);
    expect(received.auditArchive.map((x) => x.detail.eventId)).toEqual([r.id, loud.id, quiet.id]);
    expect(results).toHaveLength(3);
    expect(results.every((x) => typeof x.EventId === 'string' && x.ErrorCode === undefined)).toBe(true);
    expect(logs.containing(['local bus target failed'])).toHaveLength(2);
  });

  it('a failing audit archive does not stop the next entries', async () => {
    const { received, targets } = recordingTargets({ auditArchive: true });
    const first = ratified();
    const second = ratified();
    const results = await createLocalBus(targets)([first, second].map((x) => toEntry(x, 'local')));

    expect(received.notifications.map((x) => x.detail.eventId)).toEqual([first.id, second.id]);
    expect(received.auditArchive.map((x) => x.detail.eventId)).toEqual([first.id, second.id]);
    expect(results.map((x) => x.ErrorCode)).toEqual([undefined, undefined]);
  });
});
