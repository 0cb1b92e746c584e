// zod/mini (a third of classic zod in a bundle); schemas marked pure are dropped where unused.
import * as z from 'zod/mini';
import type { Decision } from './access.ts';
import { type Actor, ActorRef, actorRef } from './actor.ts';
import { ukDate } from './calendar.ts';
import { raise } from './events.ts';
import type { CommandContext, Outcome } from './lifecycle.ts';
import { NhsNumber } from './nhs-number.ts';
import { mayCommand, policy, type Relationship } from './permissions.ts';
import { forbidden, invalidCommand, notFound, type Refusal, stateConflict } from './refusals.ts';

/**
 * Carers act for a patient as NHS login proxies do: signed in as themselves, and only while an
 * active grant of the patient's names them. A grant is decided here from the patient's grants as
 * stored, on every request: never from a token.
 */

export const legalBases = [
  'patient-consent',
  'lasting-power-of-attorney-health-welfare',
  'court-appointed-deputy',
] as const;
export type LegalBasis = (typeof legalBases)[number];
/** What a grant lets the carer do: `read` the plan, or also `co-author` the patient's sections and submit. */
export const carerAccess = ['read', 'co-author'] as const;
export type CarerAccess = (typeof carerAccess)[number];

/** Active grants a patient may hold at once: enough for a family, few enough to read at every request. */
export const maxActiveGrants = 20;

const text = (max: number) => z.string().check(z.trim(), z.minLength(1), z.maxLength(max));

export const CarerGrantRequest = /* @__PURE__ */ z
  .strictObject({
    carer: z.strictObject({
      nhsNumber: NhsNumber.register(z.globalRegistry, {
        description: "The carer's own NHS number: the one their NHS login carries",
      }),
      name: text(200),
    }),
    relationship: text(100).register(z.globalRegistry, {
      description: 'How the carer is related to the patient, in words (daughter, friend, partner)',
    }),
    legalBasis: z.enum(legalBases).register(z.globalRegistry, {
      description:
        'The patient’s consent, or for a patient who lacks capacity a lasting power of attorney for health and welfare or a court-appointed deputyship (the only bases a clinician may grant under)',
    }),
    access: z.enum(carerAccess).register(z.globalRegistry, {
      description: '`read` the plan, or `co-author` the patient’s sections and submit them as well',
    }),
    until: z.optional(z.iso.date()).register(z.globalRegistry, {
      description: 'The last day the grant is active (UK date); open-ended without one',
    }),
  })
  .register(z.globalRegistry, {
    id: 'CarerGrantRequest',
    example: {
      carer: { nhsNumber: '9990000042', name: 'Ruth Byron' },
      relationship: 'daughter',
      legalBasis: 'patient-consent',
      access: 'co-author',
      until: '2027-06-01',
    },
  });
export type CarerGrantRequest = z.output<typeof CarerGrantRequest>;

/** A grant as stored: written once, never changed; a revocation is a record of its own. */
export type CarerGrant = CarerGrantRequest & {
  id: string;
  nhsNumber: string;
  grantedBy: ActorRef;
  grantedAt: string;
};
export type CarerRevocation = { grantId: string; revokedBy: ActorRef; revokedAt: string; reason: string };
/** A grant with its revocation, if any: what the patient's `CARER#` items hold. */
export type GrantRecord = { grant: CarerGrant; revocation: CarerRevocation | null };

export const grantStatuses = ['active', 'revoked', 'expired'] as const;
export type GrantStatus = (typeof grantStatuses)[number];

/** Revoked once revoked; expired once its last day has passed in the UK; else active. */
export const grantStatus = ({ grant, revocation }: GrantRecord, now: string): GrantStatus => {
  if (revocation) return 'revoked';
  return grant.until !== undefined && grant.until < ukDate(now) ? 'expired' : 'active';
};

export const CarerGrantView = /* @__PURE__ */ z
  .object({
    id: z.string(),
    carer: z.object({ nhsNumber: z.string(), name: z.string() }),
    relationship: z.string(),
    legalBasis: z.enum(legalBases),
    access: z.enum(carerAccess),
    until: z.optional(z.iso.date()),
    grantedBy: ActorRef,
    grantedAt: z.iso.datetime(),
    status: z.enum(grantStatuses).register(z.globalRegistry, {
      description: 'Decided when read: `expired` once the day after `until` has begun in the UK',
    }),
    revokedBy: z.optional(ActorRef),
    revokedAt: z.optional(z.iso.datetime()),
    revocationReason: z.optional(z.string()),
  })
  .register(z.globalRegistry, {
    id: 'CarerGrant',
    example: {
      id: '1',
      carer: { nhsNumber: '9990000042', name: 'Ruth Byron' },
      relationship: 'daughter',
      legalBasis: 'patient-consent',
      access: 'co-author',
      until: '2027-06-01',
      grantedBy: { id: 'nhs-login-7f3a', role: 'patient' },
      grantedAt: '2026-11-21T10:00:00.000Z',
      status: 'active',
    },
  });
export type CarerGrantView = z.infer<typeof CarerGrantView>;

export const carerGrantView = (record: GrantRecord, now: string): CarerGrantView => {
  const { nhsNumber: _patient, ...grant } = record.grant;
  const { revocation } = record;
  return {
    ...grant,
    status: grantStatus(record, now),
    ...(revocation && {
      revokedBy: revocation.revokedBy,
      revokedAt: revocation.revokedAt,
      revocationReason: revocation.reason,
    }),
  };
};

const names = (actor: Actor, record: GrantRecord): boolean =>
  actor.kind === 'citizen' && record.grant.carer.nhsNumber === actor.nhsNumber;

/**
 * The actor as they stand to this patient: a carer with the patient's active grant naming them
 * acts under it (co-author before read, should two be active); anyone else as they are.
 */
export const actingFor = (
  actor: Actor,
  nhsNumber: string,
  grants: readonly GrantRecord[],
  now: string,
): Actor => {
  if (actor.kind !== 'citizen' || actor.role !== 'carer') return actor;
  const { proxy: _other, ...self } = actor;
  const active = grants
    .filter((record) => names(actor, record) && grantStatus(record, now) === 'active')
    .sort((a, b) => (a.grant.access === b.grant.access ? 0 : a.grant.access === 'co-author' ? -1 : 1));
  const grant = active[0]?.grant;
  return grant ? { ...self, proxy: { nhsNumber, grantId: grant.id, access: grant.access } } : self;
};

/** The number after the highest grant id: grants are numbered 1, 2, 3 ... per patient, each put once. */
export const nextGrantId = (grants: readonly GrantRecord[]): string =>
  String(grants.reduce((max, { grant }) => Math.max(max, Number(grant.id)), 0) + 1);

const clinicalBases: readonly LegalBasis[] = [
  'lasting-power-of-attorney-health-welfare',
  'court-appointed-deputy',
];

/**
 * A new grant, given the patient's grants as stored. The patient grants under any basis; a
 * ratifier of the care team only for a patient who lacks capacity, under a lasting power of
 * attorney or a deputyship. Who may grant is decided first, then whether the patient is enrolled.
 */
export const grantCarer = (
  nhsNumber: string,
  enrolled: boolean,
  grants: readonly GrantRecord[],
  request: CarerGrantRequest,
  ctx: CommandContext,
): Outcome<CarerGrant> => {
  const refusal =
    mayCommand(ctx.actor, 'grantCarer', ctx.relationship) ??
    (enrolled ? null : notFound('no patient with this NHS number is enrolled')) ??
    grantRefusal(nhsNumber, grants, request, ctx);
  if (refusal) return { ok: false, refusal };
  const grant: CarerGrant = {
    id: nextGrantId(grants),
    nhsNumber,
    ...request,
    grantedBy: actorRef(ctx.actor),
    grantedAt: ctx.now,
  };
  const event = raise(
    'Carer.Granted',
    {
      nhsNumber,
      grantId: grant.id,
      access: grant.access,
      legalBasis: grant.legalBasis,
      until: grant.until ?? null,
      grantedBy: grant.grantedBy,
    },
    ctx,
  );
  return { ok: true, value: grant, events: [event] };
};

const grantRefusal = (
  nhsNumber: string,
  grants: readonly GrantRecord[],
  request: CarerGrantRequest,
  ctx: CommandContext,
): Refusal | null => {
  if (ctx.actor.kind === 'staff' && !clinicalBases.includes(request.legalBasis)) {
    return invalidCommand(
      'a clinician grants access only for a patient who lacks capacity: under a lasting power of attorney for health and welfare, or a court-appointed deputyship',
    );
  }
  if (request.carer.nhsNumber === nhsNumber) return invalidCommand('a patient cannot be their own carer');
  if (request.until !== undefined && request.until < ukDate(ctx.now))
    return invalidCommand('until is a day that has already passed');
  const active = grants.filter((record) => grantStatus(record, ctx.now) === 'active');
  if (active.some(({ grant }) => grant.carer.nhsNumber === request.carer.nhsNumber))
    return stateConflict('this carer already has an active grant: revoke it first to change it');
  if (active.length >= maxActiveGrants)
    return invalidCommand(`a patient may have at most ${maxActiveGrants} active grants: revoke one first`);
  return null;
};

/**
 * Ends a grant at once, with a reason: the patient, a ratifier of the care team, or the carer it
 * names. A grant is revoked once; revoking it again is a conflict.
 */
export const revokeCarer = (
  record: GrantRecord | null,
  reason: string,
  ctx: CommandContext,
): Outcome<{ grant: CarerGrant; revocation: CarerRevocation }> => {
  const refusal =
    mayCommand(ctx.actor, 'revokeCarer', ctx.relationship) ??
    (ctx.actor.role === 'carer' && !(record && names(ctx.actor, record))
      ? forbidden('a carer may revoke only their own grant')
      : null) ??
    (record ? null : notFound('this patient has no such grant')) ??
    (record?.revocation ? stateConflict('this grant is already revoked') : null);
  if (refusal || !record)
    return { ok: false, refusal: refusal ?? notFound('this patient has no such grant') };
  const revocation: CarerRevocation = {
    grantId: record.grant.id,
    revokedBy: actorRef(ctx.actor),
    revokedAt: ctx.now,
    reason,
  };
  const event = raise(
    'Carer.Revoked',
    { nhsNumber: record.grant.nhsNumber, grantId: record.grant.id, revokedBy: revocation.revokedBy },
    ctx,
  );
  return { ok: true, value: { grant: record.grant, revocation }, events: [event] };
};

/**
 * Who sees a patient's grants: the patient and the clinicians and other readers of the care team
 * see them all, a carer acting for the patient only those naming them.
 */
export const readCarers = (
  actor: Actor,
  relationship: Relationship,
  grants: readonly GrantRecord[],
): Decision<GrantRecord[]> => {
  if (
    relationship === 'self' ||
    (relationship === 'careTeam' && policy[actor.role].reads.includes('careTeam'))
  )
    return { ok: true, value: [...grants] };
  if (relationship === 'proxyRead' || relationship === 'proxyCoAuthor')
    return { ok: true, value: grants.filter((record) => names(actor, record)) };
  return {
    ok: false,
    refusal: forbidden('only the patient, their care team and their carers see who may act for the patient'),
  };
};
