import { describe, expect, it } from 'vitest';
import type { Actor } from '../../../domain/actor.ts';
import { type HostSystemEntry, writeHostSystem } from '../../../domain/host-system.ts';
import { decideLaunch, launchRecord, refuseOutsideLaunch } from '../../../domain/launch.ts';

/** domain/launch.ts and domain/host-system.ts: the rules of a launch from a host system, pure. */

const NHS = '9434765919';
const OTHER = '9999999468';
const now = 1_800_000_000;
const host: HostSystemEntry = {
  id: 'demo-emis',
  revision: 3,
  hostSystem: {
    name: 'EMIS Web (demo)',
    jwksUri: 'https://keys.emis.test/jwks.json',
    organisations: ['A81001'],
    roles: { R8000: 'gp', R8001: 'nurse' },
  },
  updatedAt: '2026-11-01T09:00:00.000Z',
  updatedBy: { id: 'ops', role: 'admin' },
};
const claims = (overrides: Record<string, unknown> = {}) => ({
  iss: 'demo-emis',
  sub: 'dr.patel',
  iat: now,
  exp: now + 300,
  jti: 'assertion-0001',
  ods: 'A81001',
  role: 'R8000',
  patient: '943 476 5919',
  ...overrides,
});

describe('decideLaunch', () => {
  it('launches the host’s user as our role, about the named patient, for 15 minutes', () => {
    const decision = decideLaunch(host, claims({ name: 'Dr A Patel' }), now);
    expect(decision).toEqual({
      ok: true,
      value: {
        actor: {
          kind: 'staff',
          id: 'dr.patel',
          role: 'gp',
          organisation: 'A81001',
          name: 'Dr A Patel',
          launch: { hostSystem: 'demo-emis', patient: NHS },
        },
        hostRole: 'R8000',
        assertionId: 'assertion-0001',
        assertionExpiresAt: now + 300,
        issuedAt: now,
        expiresAt: now + 900,
      },
    });
  });

  it.each([
    ['exp beyond 5 minutes (and a minute of clock skew)', { exp: now + 361 }, 'invalid_grant', /5 minutes/],
    ['expired', { exp: now }, 'invalid_grant', /expired/],
    ['issued in the future', { iat: now + 120 }, 'invalid_grant', /future/],
    ['another issuer', { iss: 'other-host' }, 'invalid_grant', /not issued by this host/],
    ['an invalid NHS number', { patient: '9434765918' }, 'invalid_grant', /NHS number/],
    ['an ODS code the host may not speak for', { ods: 'B82002' }, 'unauthorized_client', /B82002/],
    ['an unmapped role', { role: 'R9999' }, 'invalid_grant', /R9999/],
    ['a role name that is an inherited property', { role: 'constructor' }, 'invalid_grant', /constructor/],
    ['no jti', { jti: undefined }, 'invalid_grant', /jti/],
    ['no sub', { sub: undefined }, 'invalid_grant', /sub/],
  ])('refuses %s', (_, overrides, error, reason) => {
    const decision = decideLaunch(host, claims(overrides), now);
    expect(decision.ok).toBe(false);
    if (decision.ok) return;
    expect(decision.refusal.error).toBe(error);
    expect(decision.refusal.reason).toMatch(reason);
  });

  it('accepts an exp at the edge of the window, allowing a minute of clock skew', () => {
    expect(decideLaunch(host, claims({ exp: now + 360 }), now).ok).toBe(true);
  });
});

describe('refuseOutsideLaunch', () => {
  const launched: Actor = {
    kind: 'staff',
    id: 'dr.patel',
    role: 'gp',
    organisation: 'A81001',
    launch: { hostSystem: 'demo-emis', patient: NHS },
  };
  it('lets a launched session act on its own patient only, and on nothing about no one patient', () => {
    expect(refuseOutsideLaunch(launched, NHS)).toBeNull();
    expect(refuseOutsideLaunch(launched, '943 476 5919')).toBeNull();
    expect(refuseOutsideLaunch(launched, OTHER)).toMatchObject({
      kind: 'Forbidden',
      reason: /another patient/,
    });
    expect(refuseOutsideLaunch(launched, null)).toMatchObject({ kind: 'Forbidden', reason: /one patient/ });
  });
  it('leaves every other actor alone', () => {
    const { launch: _, ...ordinary } = launched as Extract<Actor, { kind: 'staff' }>;
    expect(refuseOutsideLaunch(ordinary, OTHER)).toBeNull();
    expect(refuseOutsideLaunch(ordinary, null)).toBeNull();
  });
});

describe('launchRecord', () => {
  it('is an access record of the patient, by the user at their organisation via the host, with Session.Launched', () => {
    const decision = decideLaunch(host, claims({ name: 'Dr A Patel' }), now);
    if (!decision.ok) throw new Error('refused');
    const ids = ['ID-1', 'ID-2'];
    const record = launchRecord(decision.value, {
      now: '2027-01-15T08:00:00.000Z',
      newId: () => ids.shift() ?? 'ID-more',
      sessionId: 'SESSION-1',
    });
    expect(record).toMatchObject({
      nhsNumber: NHS,
      action: 'launched',
      actor: { id: 'dr.patel', role: 'gp', organisation: 'A81001', via: 'demo-emis' },
      breakGlass: false,
    });
    expect(record.events).toEqual([
      expect.objectContaining({
        type: 'Session.Launched',
        detail: expect.objectContaining({
          accessId: record.id,
          hostSystem: 'demo-emis',
          sessionId: 'SESSION-1',
        }),
      }),
    ]);
    expect(JSON.stringify(record)).not.toContain('Dr A Patel');
  });
});

describe('writeHostSystem', () => {
  const serviceAdmin: Actor = { kind: 'serviceAdmin', id: 'ops', role: 'admin' };
  const orgAdmin: Actor = { kind: 'staff', id: 'pm', role: 'admin', organisation: 'A81001' };
  const at = { now: '2027-01-15T08:00:00.000Z' };
  it('is a service administrator’s, with If-Match to replace, and no revision for no change', () => {
    expect(
      writeHostSystem(
        null,
        { id: 'x-host', hostSystem: host.hostSystem, basedOn: undefined },
        { actor: orgAdmin, ...at },
      ),
    ).toMatchObject({
      ok: false,
      refusal: { kind: 'Forbidden' },
    });
    const first = writeHostSystem(
      null,
      { id: 'x-host', hostSystem: host.hostSystem, basedOn: undefined },
      { actor: serviceAdmin, ...at },
    );
    expect(first).toMatchObject({
      ok: true,
      value: { revision: 1, updatedBy: { id: 'ops', role: 'admin' } },
    });
    if (!first.ok) return;
    expect(
      writeHostSystem(
        first.value,
        { id: 'x-host', hostSystem: host.hostSystem, basedOn: undefined },
        { actor: serviceAdmin, ...at },
      ),
    ).toMatchObject({
      ok: false,
      refusal: { kind: 'RevisionRequired' },
    });
    const same = writeHostSystem(
      first.value,
      { id: 'x-host', hostSystem: host.hostSystem, basedOn: 1 },
      { actor: serviceAdmin, ...at },
    );
    expect(same.ok && same.value).toBe(first.value);
    expect(
      writeHostSystem(
        first.value,
        { id: 'x-host', hostSystem: { ...host.hostSystem, name: 'New' }, basedOn: 2 },
        { actor: serviceAdmin, ...at },
      ),
    ).toMatchObject({
      ok: false,
      refusal: { kind: 'RevisionConflict', currentRevision: 1 },
    });
  });
});
