import { describe, expect, it } from 'vitest';
import {
  actingFor,
  type CarerGrantRequest,
  type GrantRecord,
  grantCarer,
  grantStatus,
  maxActiveGrants,
  nextGrantId,
  readCarers,
  revokeCarer,
} from '../../../domain/carers.ts';
import { joinCareTeam, leaveCareTeam } from '../../../domain/lifecycle.ts';
import { careTeamMembers } from '../../../domain/views.ts';
import {
  accepted,
  CARER_NHS,
  carer,
  citizen,
  ctxOf,
  GP_PRACTICE,
  gp,
  HOSPICE,
  hospiceNurse,
  NHS,
  OTHER_NHS,
  patient,
  planFixture,
  refused,
  staff,
} from './fixtures.ts';

const request = (change: Partial<CarerGrantRequest> = {}): CarerGrantRequest => ({
  carer: { nhsNumber: CARER_NHS, name: 'Ruth Byron' },
  relationship: 'daughter',
  legalBasis: 'patient-consent',
  access: 'co-author',
  ...change,
});
const record = (id: string, change: Partial<GrantRecord['grant']> = {}, revoked = false): GrantRecord => ({
  grant: {
    id,
    nhsNumber: NHS,
    ...request(),
    grantedBy: { id: 'patient', role: 'patient' },
    grantedAt: '2026-11-01T10:00:00.000Z',
    ...change,
  },
  revocation: revoked
    ? {
        grantId: id,
        revokedBy: { id: 'patient', role: 'patient' },
        revokedAt: '2026-11-02T10:00:00.000Z',
        reason: 'x',
      }
    : null,
});

describe('grantStatus', () => {
  it('lasts all of its last day in the UK, and is expired from the next', () => {
    const grant = record('1', { until: '2026-06-30' });
    // 23:30 UTC on 30 June is already 1 July in London (BST).
    expect(grantStatus(grant, '2026-06-30T22:59:00.000Z')).toBe('active');
    expect(grantStatus(grant, '2026-06-30T23:00:00.000Z')).toBe('expired');
    expect(grantStatus(record('1'), '2099-01-01T00:00:00.000Z')).toBe('active');
    expect(grantStatus(record('1', {}, true), '2026-11-21T10:00:00.000Z')).toBe('revoked');
  });
});

describe('actingFor', () => {
  const self = citizen('carer', CARER_NHS);
  it('a carer acts under the active grant naming them, co-author before read', () => {
    const grants = [
      record('1', { access: 'read' }),
      record('2'),
      record('3', { carer: { nhsNumber: OTHER_NHS, name: 'x' } }),
    ];
    expect(actingFor(self, NHS, grants, '2026-11-21T10:00:00.000Z')).toEqual({
      ...self,
      proxy: { nhsNumber: NHS, grantId: '2', access: 'co-author' },
    });
  });
  it('not under an expired or revoked one, nor from a stale proxy; patients and staff are as they are', () => {
    const grants = [record('1', { until: '2026-01-01' }), record('2', {}, true)];
    expect(actingFor(carer, NHS, grants, '2026-11-21T10:00:00.000Z')).toEqual(self);
    expect(actingFor(patient, NHS, grants, '2026-11-21T10:00:00.000Z')).toBe(patient);
    expect(actingFor(gp, NHS, grants, '2026-11-21T10:00:00.000Z')).toBe(gp);
  });
});

describe('grantCarer', () => {
  it('the patient grants under consent: the next number, Carer.Granted without the carer', () => {
    const { value, events } = accepted(
      grantCarer(
        NHS,
        true,
        [record('1', { carer: { nhsNumber: OTHER_NHS, name: 'x' } })],
        request(),
        ctxOf(patient, 'self'),
      ),
    );
    expect(value).toMatchObject({ id: '2', nhsNumber: NHS, grantedBy: { role: 'patient' }, ...request() });
    expect(events).toMatchObject([
      { type: 'Carer.Granted', detail: { nhsNumber: NHS, grantId: '2', until: null } },
    ]);
    expect(JSON.stringify(events)).not.toContain(CARER_NHS);
    expect(JSON.stringify(events)).not.toContain('Ruth Byron');
  });

  it.each([
    ['a ratifier under the patient’s consent', gp, 'careTeam', request(), 'InvalidCommand'],
    [
      'a contributor',
      hospiceNurse,
      'careTeam',
      request({ legalBasis: 'court-appointed-deputy' }),
      'Forbidden',
    ],
    [
      'a ratifier outside the care team',
      staff('gp', 'B82002'),
      'none',
      request({ legalBasis: 'court-appointed-deputy' }),
      'Forbidden',
    ],
    ['a carer', carer, 'proxyCoAuthor', request({ carer: { nhsNumber: OTHER_NHS, name: 'x' } }), 'Forbidden'],
    [
      'the patient as their own carer',
      patient,
      'self',
      request({ carer: { nhsNumber: NHS, name: 'me' } }),
      'InvalidCommand',
    ],
    ['a last day already passed', patient, 'self', request({ until: '2026-11-20' }), 'InvalidCommand'],
    ['a carer already granted', patient, 'self', request(), 'PlanStateConflict'],
  ] as const)('refuses %s', (_, actor, relationship, body, kind) => {
    expect(refused(grantCarer(NHS, true, [record('1')], body, ctxOf(actor, relationship))).kind).toBe(kind);
  });

  it('lets a ratifier of the care team grant under a lasting power of attorney', () => {
    const body = request({ legalBasis: 'lasting-power-of-attorney-health-welfare' });
    expect(grantCarer(NHS, true, [], body, ctxOf(gp, 'careTeam')).ok).toBe(true);
  });

  it(`caps active grants at ${maxActiveGrants}; revoked and expired ones do not count`, () => {
    const others = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        record(String(i + 1), { carer: { nhsNumber: `90000000${String(i).padStart(2, '0')}`, name: 'x' } }),
      );
    expect(
      refused(grantCarer(NHS, true, others(maxActiveGrants), request(), ctxOf(patient, 'self'))).kind,
    ).toBe('InvalidCommand');
    const ended = [
      ...others(maxActiveGrants - 1),
      record('99', { carer: { nhsNumber: '9000000099', name: 'y' } }, true),
    ];
    expect(accepted(grantCarer(NHS, true, ended, request(), ctxOf(patient, 'self'))).value.id).toBe('100');
    expect(nextGrantId([])).toBe('1');
  });

  it('refuses first who may not, then a patient not enrolled', () => {
    expect(refused(grantCarer(NHS, false, [], request(), ctxOf(gp, 'none'))).kind).toBe('Forbidden');
    expect(refused(grantCarer(NHS, false, [], request(), ctxOf(patient, 'self'))).kind).toBe('NotFound');
  });
});

describe('revokeCarer', () => {
  it('the carer it names ends it; not another carer’s; revoked once', () => {
    const own = record('1');
    expect(
      accepted(revokeCarer(own, 'moving abroad', ctxOf(carer, 'proxyCoAuthor'))).value.revocation,
    ).toMatchObject({
      grantId: '1',
      revokedBy: { role: 'carer' },
      reason: 'moving abroad',
    });
    const another = record('2', { carer: { nhsNumber: OTHER_NHS, name: 'x' } });
    expect(refused(revokeCarer(another, 'x', ctxOf(carer, 'proxyCoAuthor'))).kind).toBe('Forbidden');
    expect(refused(revokeCarer(record('1', {}, true), 'x', ctxOf(patient, 'self'))).kind).toBe(
      'PlanStateConflict',
    );
    expect(refused(revokeCarer(null, 'x', ctxOf(patient, 'self'))).kind).toBe('NotFound');
    expect(refused(revokeCarer(own, 'x', ctxOf(hospiceNurse, 'careTeam'))).kind).toBe('Forbidden');
    expect(accepted(revokeCarer(own, 'x', ctxOf(gp, 'careTeam'))).events).toMatchObject([
      { type: 'Carer.Revoked' },
    ]);
  });
});

describe('readCarers', () => {
  const grants = [record('1'), record('2', { carer: { nhsNumber: OTHER_NHS, name: 'x' } })];
  it('the patient and the care team see all, a carer their own, others nothing', () => {
    expect(readCarers(patient, 'self', grants)).toEqual({ ok: true, value: grants });
    expect(readCarers(staff('care_home', GP_PRACTICE), 'careTeam', grants)).toEqual({
      ok: true,
      value: grants,
    });
    expect(readCarers(carer, 'proxyRead', grants)).toEqual({ ok: true, value: [grants[0]] });
    expect(readCarers(staff('paramedic', 'RRU'), 'urgentCare', grants).ok).toBe(false);
    expect(readCarers(staff('privacy_officer', GP_PRACTICE), 'careTeam', grants).ok).toBe(false);
  });
});

describe('joinCareTeam and leaveCareTeam', () => {
  const plan = planFixture({ careTeam: [GP_PRACTICE], authors: [GP_PRACTICE] });
  it('adds with why, since and by whom; once there, no change', () => {
    const { value, events } = accepted(
      joinCareTeam(plan, true, { organisation: HOSPICE, reason: 'visiting' }, ctxOf(gp, 'careTeam')),
    );
    expect(value.careTeam).toEqual([GP_PRACTICE, HOSPICE]);
    expect(value.revision).toBe(plan.revision + 1);
    expect(value.authors).toEqual([GP_PRACTICE]);
    expect(events).toMatchObject([
      { type: 'CareTeam.Joined', detail: { organisation: HOSPICE, addedBy: { role: 'gp' } } },
    ]);
    expect(careTeamMembers(value, null)).toEqual([
      { organisation: GP_PRACTICE, reason: 'author', since: plan.createdAt, addedBy: null },
      {
        organisation: HOSPICE,
        reason: 'added',
        since: expect.any(String),
        addedBy: { id: gp.id, role: 'gp', organisation: GP_PRACTICE },
        note: 'visiting',
      },
    ]);
    const again = accepted(joinCareTeam(value, true, { organisation: HOSPICE }, ctxOf(gp, 'careTeam')));
    expect(again).toEqual({ ok: true, value, events: [] });
  });

  it('removes from the care team and the authors: access goes at once', () => {
    const written = planFixture({ careTeam: [GP_PRACTICE, HOSPICE], authors: [GP_PRACTICE, HOSPICE] });
    const { value, events } = accepted(
      leaveCareTeam(written, { gpPractice: GP_PRACTICE }, { organisation: HOSPICE }, ctxOf(patient, 'self')),
    );
    expect(value).toMatchObject({ careTeam: [GP_PRACTICE], authors: [GP_PRACTICE] });
    expect(events).toMatchObject([
      { type: 'CareTeam.Left', detail: { organisation: HOSPICE, removedBy: { role: 'patient' } } },
    ]);
  });

  it.each([
    ['before any plan', null, true, gp, 'careTeam', HOSPICE, 'PlanStateConflict'],
    ['a patient not enrolled', null, false, gp, 'careTeam', HOSPICE, 'NotFound'],
    ['the GP practice', 'plan', true, gp, 'careTeam', GP_PRACTICE, 'InvalidCommand'],
    ['an organisation not in it', 'plan', true, gp, 'careTeam', 'B82002', 'NotFound'],
    ['a carer', 'plan', true, carer, 'proxyCoAuthor', HOSPICE, 'Forbidden'],
    ['a care home', 'plan', true, staff('care_home', GP_PRACTICE), 'careTeam', HOSPICE, 'Forbidden'],
  ] as const)('leaving refuses %s', (_, which, enrolled, actor, relationship, organisation, kind) => {
    const withHospice = planFixture({ careTeam: [GP_PRACTICE, HOSPICE] });
    const outcome = leaveCareTeam(
      which ? withHospice : null,
      enrolled ? { gpPractice: GP_PRACTICE } : null,
      { organisation },
      ctxOf(actor, relationship),
    );
    expect(refused(outcome).kind).toBe(kind);
  });

  it('refuses removing the organisation a draft is submitted to, and any change on a closed plan', () => {
    const submitted = planFixture({
      careTeam: [GP_PRACTICE, HOSPICE],
      draft: {
        state: 'submitted',
        sections: {},
        basedOnVersion: null,
        updatedAt: plan.createdAt,
        updatedBy: { id: 'p', role: 'patient' },
        submittedTo: { organisation: HOSPICE },
      },
    });
    expect(
      refused(
        leaveCareTeam(
          submitted,
          { gpPractice: GP_PRACTICE },
          { organisation: HOSPICE },
          ctxOf(gp, 'careTeam'),
        ),
      ).kind,
    ).toBe('PlanStateConflict');
    const closed = planFixture({
      death: {
        date: '2026-11-20',
        place: 'home',
        preferredPlace: null,
        diedInPreferredPlace: null,
        recordedBy: { id: 'g', role: 'gp' },
        recordedAt: plan.createdAt,
      },
    });
    expect(refused(joinCareTeam(closed, true, { organisation: HOSPICE }, ctxOf(gp, 'careTeam'))).kind).toBe(
      'PlanStateConflict',
    );
  });
});
