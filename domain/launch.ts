// zod/mini (a third of classic zod in a bundle); schemas marked pure are dropped where unused.
import * as z from 'zod/mini';
import type { AccessRecord } from './access.ts';
import { type Actor, actorRef, type StaffActor } from './actor.ts';
import { raise } from './events.ts';
import type { HostSystemEntry } from './host-system.ts';
import { isValidNhsNumber, normaliseNhsNumber } from './nhs-number.ts';
import { forbidden, type Refusal } from './refusals.ts';

/**
 * Launch from a host system (RFC 8693 token exchange): a clinician working in a registered host
 * system (EMIS Web, say) is handed over to one patient's plan without a second login. The host
 * signs an assertion about its user and the patient; the service checks it against the host's
 * registry entry and answers a token of its own, about that one patient only.
 */

/** An assertion may live at most this long: the host signs it for the one launch in hand. */
export const maxAssertionSeconds = 5 * 60;
/** The service's token lives about a quarter of an hour: a consultation, not a shift. */
export const sessionSeconds = 15 * 60;
/** The clock difference tolerated between the host and the service. */
const clockSkewSeconds = 60;

/** The claims of a host's assertion (its signature, issuer and audience already checked). */
export const HostAssertionClaims = /* @__PURE__ */ z.object({
  iss: z.string(),
  sub: z.string().check(z.regex(/^[\w.@:|-]{1,200}$/, 'must be a user id')),
  exp: z.number(),
  iat: z.optional(z.number()),
  jti: z.string().check(z.minLength(8), z.maxLength(200)),
  ods: z.string(),
  role: z.string().check(z.minLength(1), z.maxLength(100)),
  patient: z.string(),
  name: z.optional(z.string().check(z.maxLength(200))),
});
export type HostAssertionClaims = z.infer<typeof HostAssertionClaims>;

/** RFC 6749's words for why a grant is refused: the assertion is bad, or the host may not ask this. */
export type LaunchRefusal = { error: 'invalid_grant' | 'unauthorized_client'; reason: string };

export type Launch = {
  actor: StaffActor & { launch: { hostSystem: string; patient: string } };
  /** The host's own code for the user's role, as it sent it. */
  hostRole: string;
  /** The assertion's `jti`: used once, remembered until `assertionExpiresAt`. */
  assertionId: string;
  assertionExpiresAt: number;
  /** The service token's lifetime, in seconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
};

/**
 * Whether this host's assertion launches its user: it expires within 5 minutes, names a valid
 * patient, a user of an organisation the host may speak for, and a role the host's entry maps.
 * `now` is in seconds since the epoch.
 */
export const decideLaunch = (
  host: HostSystemEntry,
  claims: unknown,
  now: number,
): { ok: true; value: Launch } | { ok: false; refusal: LaunchRefusal } => {
  const refuse = (error: LaunchRefusal['error'], reason: string) =>
    ({ ok: false, refusal: { error, reason } }) as const;
  const parsed = HostAssertionClaims.safeParse(claims);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? '')))].join(', ');
    return refuse('invalid_grant', `the assertion's claims are missing or invalid: ${fields}`);
  }
  const c = parsed.data;
  if (c.iss !== host.id) return refuse('invalid_grant', 'the assertion was not issued by this host system');
  if (c.exp > now + maxAssertionSeconds + clockSkewSeconds)
    return refuse('invalid_grant', `the assertion must expire within ${maxAssertionSeconds / 60} minutes`);
  if (c.exp <= now) return refuse('invalid_grant', 'the assertion has expired');
  if (c.iat !== undefined && c.iat > now + clockSkewSeconds)
    return refuse('invalid_grant', 'the assertion was issued in the future');
  const patient = normaliseNhsNumber(c.patient);
  if (!isValidNhsNumber(patient)) return refuse('invalid_grant', 'the assertion names no valid NHS number');
  if (!host.hostSystem.organisations.includes(c.ods))
    return refuse('unauthorized_client', `host system ${host.id} may not launch users of ODS code ${c.ods}`);
  const role = Object.hasOwn(host.hostSystem.roles, c.role) ? host.hostSystem.roles[c.role] : undefined;
  if (!role)
    return refuse(
      'invalid_grant',
      `role code ${c.role} is not mapped to a role of this service for host system ${host.id}`,
    );
  return {
    ok: true,
    value: {
      actor: {
        kind: 'staff',
        id: c.sub,
        role,
        organisation: c.ods,
        ...(c.name && { name: c.name }),
        launch: { hostSystem: host.id, patient },
      },
      hostRole: c.role,
      assertionId: c.jti,
      assertionExpiresAt: c.exp,
      issuedAt: now,
      expiresAt: now + sessionSeconds,
    },
  };
};

/**
 * A launched session is about its one patient: a request about another patient, or about no one
 * patient (worklists, reports, registries), is refused. `patient` is the one the request is
 * about, null for none.
 */
export const refuseOutsideLaunch = (actor: Actor, patient: string | null): Refusal | null => {
  if (actor.kind !== 'staff' || !actor.launch) return null;
  if (patient === null)
    return forbidden(
      'a session launched from a host system is for its one patient: worklists, reports and registries need a login of your own',
    );
  return normaliseNhsNumber(patient) === actor.launch.patient
    ? null
    : forbidden('this session was launched for another patient: launch again from the host system');
};

/** The access record of a launch ("launched from host system X by user Y at ODS Z"), carrying `Session.Launched`. */
export const launchRecord = (
  launch: Launch,
  ctx: { now: string; newId: () => string; sessionId: string },
): AccessRecord => {
  const id = ctx.newId();
  const user = actorRef(launch.actor);
  const nhsNumber = launch.actor.launch.patient;
  return {
    nhsNumber,
    id,
    at: ctx.now,
    actor: user,
    action: 'launched',
    purpose: null,
    breakGlass: false,
    events: [
      raise(
        'Session.Launched',
        {
          nhsNumber,
          accessId: id,
          user,
          hostSystem: launch.actor.launch.hostSystem,
          hostRole: launch.hostRole,
          sessionId: ctx.sessionId,
          expiresAt: new Date(launch.expiresAt * 1000).toISOString(),
        },
        ctx,
      ),
    ],
  };
};
