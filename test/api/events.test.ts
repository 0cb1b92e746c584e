import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, enrolment, startApi, testNhsNumber } from './harness.ts';

/**
 * The plan story again, now watching what leaves the service: one email per expected recipient
 * in the local outbox, and every event archived to the S3-protocol server, with no clinical
 * content and no NHS number in any message.
 */
let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});

const GP_PRACTICE = 'A81001';
const CARE_HOME = 'VM123';
const nhs = testNhsNumber(40);
const keySafe = 'key safe by the back door, code 4321';
const dnacprForm = 'purple folder on the fridge';

describe('what the story sends and archives', () => {
  it('leaves one message per recipient and every event in the archive', async () => {
    const admin = api.token({ role: 'admin' });
    const patient = api.token({ role: 'patient', nhs, sub: 'ada' });
    const gp = api.token({ role: 'gp', org: GP_PRACTICE, sub: 'dr-patel' });
    const paramedic = api.token({ role: 'paramedic', org: 'RRU', sub: 'crew-1' });
    const careHome = api.token({ role: 'care_home', org: CARE_HOME, sub: 'carer-on-shift' });

    for (const [ods, kind, email] of [
      [GP_PRACTICE, 'gp_practice', 'practice@a81001.nhs.example'],
      [CARE_HOME, 'care_home', 'office@vm123.care.example'],
    ] as const) {
      const put = await api.call('PUT', `/organisations/${ods}`, {
        token: admin,
        json: {
          name: `Organisation ${ods}`,
          kind,
          notificationEmail: email,
          privacyOfficerEmail: `privacy@${ods.toLowerCase()}.example`,
        },
      });
      expect(put.status).toBe(201);
    }

    const step = async (method: string, path: string, token: string, json?: unknown, revision?: string) => {
      const res = await api.call(method, path, {
        token,
        ...(json !== undefined && { json }),
        ...(revision && { headers: { 'if-match': revision } }),
      });
      expect(res.status, `${method} ${path}`).toBeLessThan(300);
      return res.headers.get('etag') ?? '';
    };
    await step('POST', '/patients', patient, enrolment(nhs, { email: 'ada@example.org' }));
    let etag = await step('POST', `/patients/${nhs}/plan`, patient, {
      sections: { preferences: { preferredPlaceOfDeath: { code: 'home' }, homeAccess: keySafe } },
    });
    etag = await step('POST', `/patients/${nhs}/plan/submit`, patient, { organisation: GP_PRACTICE }, etag);
    etag = await step(
      'PATCH',
      `/patients/${nhs}/plan`,
      gp,
      {
        sections: {
          cpr: {
            decision: 'dnacpr',
            decisionDate: '2026-11-20',
            decidedBy: { name: 'Dr A Patel', role: 'gp' },
            formLocation: dnacprForm,
          },
        },
      },
      etag,
    );
    etag = await step('POST', `/patients/${nhs}/plan/ratify`, gp, {}, etag);
    await step('GET', `/patients/${nhs}/plan/summary?purpose=999%20call`, paramedic);
    const glass = await api.call('GET', `/patients/${nhs}/plan`, {
      token: careHome,
      headers: { 'break-glass': 'resident collapsed, ambulance on the way' },
    });
    expect(glass.status).toBe(200);
    await step('POST', `/patients/${nhs}/plan/withdraw`, patient, { reason: 'I have changed my mind' }, etag);
    await api.runtime.settled();

    const messages = api.outbox();
    const to = messages.map((m) => /^To: (.*)$/m.exec(m)?.[1]).sort();
    expect(to).toEqual([
      'ada@example.org', // ratified: the patient
      'office@vm123.care.example', // registered: each new address is told
      'practice@a81001.nhs.example', // registered
      'practice@a81001.nhs.example', // submitted to the practice
      'practice@a81001.nhs.example', // ratified: the care team
      'practice@a81001.nhs.example', // withdrawn: the care team
      'privacy@a81001.example', // registered
      'privacy@vm123.example', // registered
      'privacy@vm123.example', // break-glass by a care-home user: their privacy officer
    ]);
    for (const message of messages) {
      for (const secret of [nhs, keySafe, dnacprForm, 'Ada', 'Byron', 'dnacpr'])
        expect(message).not.toContain(secret);
    }

    const events = await api.archived();
    expect(events.map((e) => e.event['detail-type']).sort()).toEqual([
      'CarePlan.Accessed',
      'CarePlan.Accessed',
      'CarePlan.Created',
      'CarePlan.DraftUpdated',
      'CarePlan.Published',
      'CarePlan.Ratified',
      'CarePlan.Submitted',
      'CarePlan.Unpublished',
      'CarePlan.Withdrawn',
      'Organisation.Updated',
      'Organisation.Updated',
      'Patient.Enrolled',
    ]);
    for (const { key, event } of events) {
      expect(key).toBe(`audit/${event.time.slice(0, 10).replaceAll('-', '/')}/${event.detail.eventId}.json`);
      expect(event.source).toBe('urgent-care-plans');
      for (const secret of [keySafe, dnacprForm]) expect(JSON.stringify(event)).not.toContain(secret);
    }
    const glassRead = events.find((e) => e.event.detail.breakGlass === true);
    expect(glassRead?.event.detail).toMatchObject({ reader: { role: 'care_home', organisation: CARE_HOME } });

    // The privacy officer follows the email's reference to the report: who, which patient, why.
    const officer = api.token({ role: 'privacy_officer', org: CARE_HOME });
    const reports = await api.call('GET', '/break-glass-reports', { token: officer });
    expect(reports.status).toBe(200);
    expect(reports.body.items).toEqual([
      {
        at: expect.any(String),
        reference: glassRead?.event.detail.eventId,
        nhsNumber: nhs,
        reader: { id: 'carer-on-shift', role: 'care_home', organisation: CARE_HOME },
        reason: 'resident collapsed, ambulance on the way',
        action: 'read_plan',
        purpose: null,
      },
    ]);
    const alert = messages.find(
      (m) => m.includes('To: privacy@vm123.example') && m.includes('Subject: Break-glass'),
    );
    expect(alert).toContain(`Reference: ${glassRead?.event.detail.eventId}`);
    expect(alert).toContain('/break-glass-reports');
    const otherOfficer = api.token({ role: 'privacy_officer', org: GP_PRACTICE });
    expect((await api.call('GET', '/break-glass-reports', { token: otherOfficer })).body).toEqual({
      items: [],
    });
    expect((await api.call('GET', '/break-glass-reports', { token: careHome })).status).toBe(403);
  });
});
