import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { EventBridgeEvent } from 'aws-lambda';
import { ulid } from 'ulid';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Actor, ActorRef, ServiceAdminActor, StaffActor } from '../../domain/actor.ts';
import { type DomainEvent, raise } from '../../domain/events.ts';
import { type Organisation, writeOrganisation } from '../../domain/organisation.ts';
import { eventSource } from '../../events/source.ts';
import { toDetail } from '../../events/wire.ts';
import {
  createNotificationHandler,
  InvalidEventDetail,
  NotificationsNotSent,
} from '../../functions/consumers/notifications.ts';
import { logger } from '../../functions/platform/logger.ts';
import type { Mailer, OutgoingMessage } from '../../functions/platform/mailer.ts';
import { keys } from '../../functions/platform/table.ts';
import { lambdaContext } from '../../local/api-gateway.ts';
import { folderMailer } from '../../local/outbox.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.ts';
import {
  FAMILY,
  freshNhsNumber,
  GIVEN,
  GP_PRACTICE,
  gp,
  HOSPICE,
  hospiceNurse,
  OTHER_PRACTICE,
  PlanStory,
  planStrings,
  profile,
} from '../support/fixtures.ts';
import { captureLogs } from '../support/logs.ts';
import { dynamoStore, type Store } from '../support/store.ts';

const SERVICE = 'https://ucp.example.nhs.uk';
const email = {
  gp: 'riverside.surgery@nhs.net',
  hospice: 'st.marys.hospice@nhs.net',
  otherPractice: 'hillside.practice@nhs.net',
  privacyOfficer: 'ig.hillside@nhs.net',
  patient: 'patient.one@example.org',
  registryBefore: 'old.inbox@w10001.nhs.net',
  registryAfter: 'new.inbox@w10001.nhs.net',
  registryOfficer: 'ig@w10001.nhs.net',
};
const organisations: Record<string, Organisation> = {
  [GP_PRACTICE]: { name: 'Riverside Surgery', kind: 'gp_practice', notificationEmail: email.gp },
  [HOSPICE]: { name: "St Mary's Hospice", kind: 'hospice', notificationEmail: email.hospice },
  [OTHER_PRACTICE]: {
    name: 'Hillside Practice',
    kind: 'gp_practice',
    notificationEmail: email.otherPractice,
    privacyOfficerEmail: email.privacyOfficer,
  },
};
const admin: ServiceAdminActor = { kind: 'serviceAdmin', id: 'admin-1', role: 'admin' };
/** Registers or replaces an entry as the service does: the domain's outcome, in one conditional write. */
const writeEntry = async (ods: string, organisation: Organisation, actor: Actor = admin) => {
  const current = await store.organisations.get(ods);
  const outcome = writeOrganisation(
    current,
    { ods, organisation, basedOn: current?.revision },
    { actor, now: '2026-11-20T09:00:00.000Z', newId: ulid },
  );
  if (!outcome.ok) throw new Error(outcome.refusal.reason);
  await store.organisations.append({ ...outcome.value, events: outcome.events });
  return outcome.events;
};
const breakGlassReader: ActorRef = {
  id: 'sw.smith@B82002',
  role: 'social_worker',
  organisation: OTHER_PRACTICE,
};

let db: TestDynamo;
let store: Store;
let root: string;
let outbox: string;
let sent: OutgoingMessage[];
let logs: ReturnType<typeof captureLogs>;
let nhs: string;
/** The patient's plan, told by the domain's own commands: every event below is one the service raises. */
let story: PlanStory;

/** The real folder mailer, counting what it is given. */
const countingMailer = (): Mailer => {
  const write = folderMailer(outbox, { now: () => new Date('2026-11-21T10:00:00.000Z') });
  return async (message) => {
    sent.push(message);
    await write(message);
  };
};
/** The handler, each call one Lambda invocation. */
const notifier = (mailer: Mailer = countingMailer()) => {
  const notify = createNotificationHandler({ mailer, serviceUrl: SERVICE, ...store });
  return (
    event: EventBridgeEvent<string, Record<string, unknown>>,
    context = lambdaContext('notifications'),
  ) => notify(event, context);
};

/** As EventBridge delivers it: the catalogue's wire detail under its detail-type. Ids are ULIDs, as in service. */
const busEvent = (event: DomainEvent): EventBridgeEvent<string, Record<string, unknown>> => ({
  id: ulid(),
  version: '0',
  account: '123456789012',
  time: event.at,
  region: 'eu-west-2',
  resources: [],
  source: eventSource,
  'detail-type': event.type,
  detail: JSON.parse(JSON.stringify(toDetail(event))),
});
const withUlid = (event: DomainEvent): DomainEvent => ({ ...event, id: ulid() });
const eventsOf = (record: { events: DomainEvent[] }, type: DomainEvent['type']) =>
  record.events.filter((e) => e.type === type).map(withUlid);
const only = <T>(items: T[]): T => {
  expect(items).toHaveLength(1);
  return items[0] as T;
};

const files = (): string[] => readdirSync(outbox).filter((f) => f.endsWith('.eml'));
const recipientOf = (eml: string): string => /^To: (.+)$/m.exec(eml)?.[1]?.trim() ?? '';

/** Runs `deliver` and returns the messages it wrote, as { to, eml }. */
const written = async (deliver: () => Promise<void>) => {
  const before = new Set(files());
  await deliver();
  return files()
    .filter((f) => !before.has(f))
    .map((f) => {
      const eml = readFileSync(join(outbox, f), 'utf8');
      return { file: f, to: recipientOf(eml), eml };
    });
};

const forbidden = () => [
  nhs,
  `${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`,
  GIVEN,
  FAMILY,
  ...planStrings,
  'please add a contact',
  'the patient withdrew consent',
  'emergency: collapsed',
  gp.id,
  hospiceNurse.id,
  breakGlassReader.id,
];

beforeAll(async () => {
  db = await startTestDynamo('ucp-notifications-test');
  store = dynamoStore(db.doc, db.tableName);
  root = mkdtempSync(join(tmpdir(), 'ucp-notifications-'));
  for (const [ods, organisation] of Object.entries(organisations)) await writeEntry(ods, organisation);
  logs = captureLogs();
  logger.setLogLevel('INFO');
});
afterAll(async () => {
  logger.setLogLevel('WARN');
  logs?.restore();
  await db?.close();
  rmSync(root, { recursive: true, force: true });
});
beforeEach(async () => {
  outbox = mkdtempSync(join(root, 'outbox-'));
  sent = [];
  nhs = freshNhsNumber();
  await store.patients.enrol(
    {
      profile: { ...profile(nhs), email: email.patient },
      careTeam: [GP_PRACTICE],
      enrolledAt: '2026-11-20T09:00:00.000Z',
    },
    [],
  );
  story = new PlanStory(nhs);
});
afterEach(() => {
  // Whatever was written or logged, nothing identifies the patient or says anything clinical.
  const everything = [...files().map((f) => `${f}\n${readFileSync(join(outbox, f), 'utf8')}`), ...logs.lines];
  for (const text of everything) for (const needle of forbidden()) expect(text).not.toContain(needle);
  const addresses = Object.values(email);
  expect(logs.containing(addresses)).toEqual([]);
  logs.clear();
});

describe('who is told what', () => {
  it('submitted: the organisation it was sent to, for the attention of the named clinician', async () => {
    story.create(hospiceNurse);
    const submitted = only(
      eventsOf(story.submit(hospiceNurse, GP_PRACTICE, 'dr.patel'), 'CarePlan.Submitted'),
    );
    const out = await written(() => notifier()(busEvent(submitted)));
    expect(out.map((m) => m.to)).toEqual([email.gp]);
    const { eml, file } = out[0] as (typeof out)[number];
    expect(file.startsWith(`${submitted.id}-`)).toBe(true);
    expect(eml).toContain('Subject: Urgent care plan waiting for ratification');
    expect(eml).toContain(`${SERVICE}/worklist/ratifications`);
    expect(eml).toContain('For the attention of: dr.patel');
    expect(eml).toContain(`Reference: ${submitted.id}`);
  });

  it('ratified: the patient and every care-team organisation', async () => {
    story.create(hospiceNurse);
    story.submit(hospiceNurse, GP_PRACTICE);
    const ratified = only(eventsOf(story.ratify(gp), 'CarePlan.Ratified'));
    const out = await written(() => notifier()(busEvent(ratified)));
    expect(out.map((m) => m.to).sort()).toEqual([email.patient, email.gp, email.hospice].sort());
    const toPatient = out.find((m) => m.to === email.patient)?.eml ?? '';
    expect(toPatient).toContain('Subject: Your urgent care plan has been published');
    expect(out.find((m) => m.to === email.gp)?.eml).toContain('Subject: Urgent care plan published');
  });

  it('returned: the patient and the care team', async () => {
    story.create(hospiceNurse);
    story.submit(hospiceNurse, GP_PRACTICE);
    const returned = only(eventsOf(story.returnToAuthor(gp), 'CarePlan.Returned'));
    const out = await written(() => notifier()(busEvent(returned)));
    expect(out.map((m) => m.to).sort()).toEqual([email.patient, email.gp, email.hospice].sort());
    expect(out.find((m) => m.to === email.patient)?.eml).toContain(
      'Subject: Your urgent care plan has been returned with comments',
    );
  });

  it('withdrawn: the care team, not the patient', async () => {
    story.create(hospiceNurse);
    story.submit(hospiceNurse, GP_PRACTICE);
    story.ratify(gp);
    const withdrawn = only(eventsOf(story.withdraw(gp), 'CarePlan.Withdrawn'));
    const out = await written(() => notifier()(busEvent(withdrawn)));
    expect(out.map((m) => m.to).sort()).toEqual([email.gp, email.hospice].sort());
    expect(out[0]?.eml).toContain('Subject: Urgent care plan withdrawn');
  });

  it("break-glass access: the privacy officer of the reader's organisation; other access: no one", async () => {
    const access = (breakGlass: boolean) =>
      raise(
        'CarePlan.Accessed',
        {
          nhsNumber: nhs,
          accessId: ulid(),
          reader: breakGlassReader,
          action: 'read_plan',
          purpose: 'emergency: collapsed',
          breakGlass,
        },
        { now: '2026-11-21T11:00:00.000Z', newId: ulid },
      );
    const out = await written(() => notifier()(busEvent(access(true))));
    expect(out.map((m) => m.to)).toEqual([email.privacyOfficer]);
    expect(out[0]?.eml).toContain('Subject: Break-glass access to an urgent care plan');
    expect(out[0]?.eml).toContain('role: social worker');
    expect(await written(() => notifier()(busEvent(access(false))))).toEqual([]);
  });

  it('a registry address changed: the old address and the new one, saying by whom; a new name: no one', async () => {
    const ods = 'W10001';
    const entry: Organisation = {
      name: 'Westside Practice',
      kind: 'gp_practice',
      notificationEmail: email.registryBefore,
    };
    await writeEntry(ods, entry);
    const ownAdmin: StaffActor = { kind: 'staff', id: 'admin-w10001', role: 'admin', organisation: ods };
    const [changed] = await writeEntry(
      ods,
      { ...entry, notificationEmail: email.registryAfter, privacyOfficerEmail: email.registryOfficer },
      ownAdmin,
    );
    const out = await written(() => notifier()(busEvent(changed as DomainEvent)));
    expect(out.map((m) => m.to).sort()).toEqual(
      [email.registryBefore, email.registryAfter, email.registryOfficer].sort(),
    );
    for (const { eml } of out) {
      expect(eml).toContain(`Subject: Urgent care plan alerts for ${ods}: address changed`);
      expect(eml).toContain(`${email.registryBefore} -> ${email.registryAfter}`);
      expect(eml).toContain(`(none) -> ${email.registryOfficer}`);
      expect(eml).toContain(`changed by admin-w10001, admin of ${ods}`);
    }
    const [renamed] = await writeEntry(ods, {
      ...entry,
      name: 'Westside Medical Centre',
      notificationEmail: email.registryAfter,
      privacyOfficerEmail: email.registryOfficer,
    });
    expect(await written(() => notifier()(busEvent(renamed as DomainEvent)))).toEqual([]);
  });

  it('enrolment, creation, edits and deaths: no one', async () => {
    const events = [
      raise(
        'Patient.Enrolled',
        { nhsNumber: nhs, gpPractice: GP_PRACTICE, enrolledBy: gp },
        {
          now: '2026-11-21T09:00:00.000Z',
          newId: ulid,
        },
      ),
      ...eventsOf(story.create(hospiceNurse), 'CarePlan.Created'),
      ...eventsOf(story.edit(hospiceNurse), 'CarePlan.DraftUpdated'),
    ];
    story.submit(hospiceNurse, GP_PRACTICE);
    story.ratify(gp);
    events.push(...eventsOf(story.death(gp), 'Patient.Died'));
    expect(events.map((e) => e.type)).toEqual([
      'Patient.Enrolled',
      'CarePlan.Created',
      'CarePlan.DraftUpdated',
      'Patient.Died',
    ]);
    const handle = notifier();
    expect(
      await written(async () => {
        for (const event of events) await handle(busEvent(event));
      }),
    ).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('recipients with no address are skipped and counted, never named', async () => {
    const patientWithoutEmail = freshNhsNumber();
    await store.patients.enrol(
      {
        profile: profile(patientWithoutEmail),
        careTeam: [GP_PRACTICE],
        enrolledAt: '2026-11-20T09:00:00.000Z',
      },
      [],
    );
    const ratified = raise(
      'CarePlan.Ratified',
      {
        nhsNumber: patientWithoutEmail,
        revision: 3,
        version: 1,
        ratifiedBy: { id: gp.id, role: 'gp', organisation: GP_PRACTICE },
        careTeam: [GP_PRACTICE, 'UNREG1'],
      },
      { now: '2026-11-21T11:00:00.000Z', newId: ulid },
    );
    const out = await written(() => notifier()(busEvent(ratified)));
    expect(out.map((m) => m.to)).toEqual([email.gp]);
    const line = logs.lines.find((l) => l.includes('notifications delivered')) ?? '';
    const logged = JSON.parse(line);
    expect(logged).toMatchObject({
      eventId: ratified.id,
      type: 'CarePlan.Ratified',
      recipients: { patient: 1, organisation: 2 },
      sent: 1,
      alreadySent: 0,
      failed: 0,
      withoutAddress: { patient: 1, organisation: 1 },
    });
    expect(line).not.toContain(patientWithoutEmail);
    expect(line).not.toContain('UNREG1');
  });
});

describe('log lines', () => {
  it("carry each invocation's Lambda request id, and nothing about the patient", async () => {
    story.create(hospiceNurse);
    const submitted = only(eventsOf(story.submit(hospiceNurse, GP_PRACTICE), 'CarePlan.Submitted'));
    const ratified = only(eventsOf(story.ratify(gp), 'CarePlan.Ratified'));
    const notify = notifier();
    await notify(busEvent(submitted), lambdaContext('ucp-dev-notifications', 'invocation-1'));
    await notify(busEvent(ratified), lambdaContext('ucp-dev-notifications', 'invocation-2'));

    const delivered = logs.lines
      .filter((line) => line.includes('notifications delivered'))
      .map((line) => JSON.parse(line));
    expect(delivered).toEqual([
      expect.objectContaining({
        eventId: submitted.id,
        function_request_id: 'invocation-1',
        function_name: 'ucp-dev-notifications',
      }),
      expect.objectContaining({
        eventId: ratified.id,
        function_request_id: 'invocation-2',
        function_name: 'ucp-dev-notifications',
      }),
    ]);
    // afterEach checks every line for the patient, the plan and the addresses; the NHS number here too.
    expect(logs.containing([nhs])).toEqual([]);
  });
});

describe('exactly once per event and recipient', () => {
  const ratifiedEvent = () => {
    story.create(hospiceNurse);
    story.submit(hospiceNurse, GP_PRACTICE);
    return only(eventsOf(story.ratify(gp), 'CarePlan.Ratified'));
  };
  const deliveryItem = async (eventId: string, address: string) =>
    (
      await db.doc.send(
        new GetCommand({
          TableName: db.tableName,
          Key: {
            pk: keys.delivery(eventId),
            sk: keys.deliveryTo(createHash('sha256').update(address).digest('hex')),
          },
        }),
      )
    ).Item;

  it('a redelivered event sends nothing more, even to a fresh consumer', async () => {
    const event = busEvent(ratifiedEvent());
    expect(await written(() => notifier()(event))).toHaveLength(3);
    expect(await written(() => notifier()(event))).toEqual([]);
    // EventBridge gives each delivery its own envelope id: the detail's eventId is what counts.
    expect(await written(() => notifier()({ ...event, id: ulid() }))).toEqual([]);
    expect(sent).toHaveLength(3);
  });

  it('keeps a delivery record per recipient, by a hash of the address, expiring after 90 days', async () => {
    const event = busEvent(ratifiedEvent());
    const before = Math.floor(Date.now() / 1000);
    await notifier()(event);
    const item = await deliveryItem(String(event.detail.eventId), email.gp);
    expect(item).toMatchObject({ type: 'delivery', eventId: event.detail.eventId });
    const ninetyDays = 90 * 24 * 60 * 60;
    expect(item?.expiresAt).toBeGreaterThanOrEqual(before + ninetyDays);
    expect(item?.expiresAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + ninetyDays);
    expect(JSON.stringify(item)).not.toContain('@');
  });

  it('a failed send gives its claim back: the retry sends that message, once', async () => {
    const ratified = ratifiedEvent();
    const event = busEvent(ratified);
    const working = countingMailer();
    let hospiceDown = true;
    const flaky: Mailer = async (message) => {
      if (hospiceDown && message.to === email.hospice) {
        throw Object.assign(new Error(`cannot deliver to ${message.to}`), { name: 'ServiceUnavailable' });
      }
      await working(message);
    };
    const handle = notifier(flaky);

    const first = written(() => handle(event));
    await expect(first).rejects.toBeInstanceOf(NotificationsNotSent);
    await expect(first).rejects.not.toThrow(email.hospice);
    expect(files()).toHaveLength(2);
    expect(await deliveryItem(ratified.id, email.hospice)).toBeUndefined();
    expect(await deliveryItem(ratified.id, email.gp)).toBeDefined();
    expect(logs.containing(['notification not sent']).join('\n')).toContain('ServiceUnavailable');

    hospiceDown = false;
    const retry = await written(() => handle(event));
    expect(retry.map((m) => m.to)).toEqual([email.hospice]);
    expect(await written(() => handle(event))).toEqual([]);
    expect(sent.map((m) => m.to).sort()).toEqual([email.patient, email.gp, email.hospice].sort());
  });

  it('two consumers racing on the same event send each message once; the others fail, to be retried', async () => {
    const event = busEvent(ratifiedEvent());
    const raced = await Promise.allSettled([notifier()(event), notifier()(event), notifier()(event)]);
    expect(files()).toHaveLength(3);
    expect(sent).toHaveLength(3);
    // A delivery that found a message in flight failed; its retry, once that settled, sends nothing.
    for (const outcome of raced.filter((o) => o.status === 'rejected')) {
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(NotificationsNotSent);
      await notifier()(event);
    }
    expect(sent).toHaveLength(3);
  });

  it('leaves a message another delivery is sending, and sends one whose claim has lapsed', async () => {
    const sending = busEvent(ratifiedEvent());
    const sendingId = (sending.detail as { eventId: string }).eventId;
    // Another delivery claimed the GP practice's message a moment ago and is still sending it.
    expect(await store.deliveries.claimDelivery(sendingId, email.gp, new Date())).toBe('claimed');
    await expect(notifier()(sending)).rejects.toBeInstanceOf(NotificationsNotSent);
    expect(sent.map((m) => m.to)).not.toContain(email.gp);

    story.edit(gp);
    const cutShort = busEvent(only(eventsOf(story.ratify(gp), 'CarePlan.Ratified')));
    const cutShortId = (cutShort.detail as { eventId: string }).eventId;
    // A delivery claimed it two minutes ago and died before sending: the claim has lapsed.
    expect(await store.deliveries.claimDelivery(cutShortId, email.gp, new Date(Date.now() - 120_000))).toBe(
      'claimed',
    );
    await notifier()(cutShort);
    expect(sent.filter((m) => m.to === email.gp)).toHaveLength(1);
    expect(await store.deliveries.claimDelivery(cutShortId, email.gp)).toBe('alreadySent');
  });
});

describe('what is not ours', () => {
  it('refuses a detail that does not match the catalogue, and sends nothing', async () => {
    story.create(hospiceNurse);
    const submitted = busEvent(only(eventsOf(story.submit(hospiceNurse, GP_PRACTICE), 'CarePlan.Submitted')));
    const broken = { ...submitted, detail: { ...submitted.detail, nhsNumber: 'not-a-number', version: 2 } };
    await expect(notifier()(broken)).rejects.toBeInstanceOf(InvalidEventDetail);
    expect(sent).toEqual([]);
    expect(logs.containing(['does not match the catalogue']).join('\n')).toContain('nhsNumber');
  });

  it('ignores other sources and unknown detail-types', async () => {
    story.create(hospiceNurse);
    const submitted = busEvent(only(eventsOf(story.submit(hospiceNurse, GP_PRACTICE), 'CarePlan.Submitted')));
    await notifier()({ ...submitted, source: 'someone-else' });
    await notifier()({ ...submitted, 'detail-type': 'CarePlan.Exploded' });
    expect(sent).toEqual([]);
  });
});
