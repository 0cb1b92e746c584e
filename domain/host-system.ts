// zod/mini (a third of classic zod in a bundle); schemas marked pure are dropped where unused.
import * as z from 'zod/mini';
import { type Actor, ActorRef, actorRef, OdsCode, StaffRole } from './actor.ts';
import type { Outcome } from './lifecycle.ts';
import { forbidden, type Refusal } from './refusals.ts';
import { expectEntryRevision } from './registry.ts';

/**
 * The registry of host systems (GP and urgent care systems such as EMIS Web, SystmOne, Adastra)
 * that may launch a clinician into a patient's plan by token exchange (domain/launch.ts): who
 * they are, the keys they sign with, the organisations they may speak for, and how their role
 * codes map to ours. A service administrator keeps it.
 */

/** A host system's id: its `iss` in the assertions it signs, e.g. `demo-emis`. */
export const hostSystemIdPattern = /^[a-z0-9][a-z0-9-]{1,62}$/;
export const HostSystemId = /* @__PURE__ */ z
  .string()
  .check(z.regex(hostSystemIdPattern, 'must be 2 to 63 lower-case letters, digits and -'))
  .register(z.globalRegistry, { id: 'HostSystemId', example: 'demo-emis' });

/** A public key of the host's (RFC 7517): RSA for RS256 or P-256 for ES256. Never a private key. */
const HostKey = /* @__PURE__ */ z
  .looseObject({
    kty: z.enum(['RSA', 'EC']),
    kid: z.string().check(z.minLength(1), z.maxLength(200)),
    alg: z.optional(z.enum(['RS256', 'ES256'])),
    use: z.optional(z.literal('sig')),
  })
  .check(
    z.refine((key) => !('d' in key), {
      message: 'is a private key: register the public key only',
      path: ['d'],
    }),
  );

/** Host role codes (a national RBAC job role code such as R8000, or the host's own) to our roles. */
const LaunchRole = /* @__PURE__ */ z.enum(
  StaffRole.options.filter((role) => role !== 'admin') as [
    Exclude<StaffRole, 'admin'>,
    ...Exclude<StaffRole, 'admin'>[],
  ],
);

/** A host system as a service administrator registers it; its id comes from the path. */
export const HostSystem = /* @__PURE__ */ z
  .strictObject({
    name: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
    jwks: z
      .optional(z.strictObject({ keys: z.array(HostKey).check(z.minLength(1), z.maxLength(10)) }))
      .register(z.globalRegistry, { description: 'Its public keys, inline (or `jwksUri`)' }),
    jwksUri: z.optional(z.url({ protocol: /^https$/ }).check(z.maxLength(2000))).register(z.globalRegistry, {
      description: 'Where its public keys are published, over https (or `jwks`)',
    }),
    organisations: z
      .array(OdsCode)
      .check(z.minLength(1), z.maxLength(1000))
      .register(z.globalRegistry, { description: 'The ODS codes it may launch users of' }),
    roles: z.record(z.string().check(z.regex(/^[\w:.-]{1,100}$/)), LaunchRole).register(z.globalRegistry, {
      description: 'Its role codes (e.g. national RBAC job role codes) to the roles of this service',
      example: { R8000: 'gp', R8001: 'nurse' },
    }),
  })
  .check(
    z.refine((host) => (host.jwks === undefined) !== (host.jwksUri === undefined), {
      message: 'give exactly one of jwks and jwksUri',
      path: ['jwks'],
    }),
  )
  .register(z.globalRegistry, { id: 'HostSystem' });
export type HostSystem = z.infer<typeof HostSystem>;

/** An entry of the registry (a `HOST#<id>` / `REV#` item). */
export type HostSystemEntry = {
  id: string;
  revision: number;
  hostSystem: HostSystem;
  updatedAt: string;
  updatedBy: ActorRef;
};

export const RegisteredHostSystem = /* @__PURE__ */ z
  .extend(
    z.object({
      name: z.string(),
      jwks: z.optional(z.object({ keys: z.array(z.looseObject({ kty: z.string(), kid: z.string() })) })),
      jwksUri: z.optional(z.string()),
      organisations: z.array(OdsCode),
      roles: z.record(z.string(), LaunchRole),
    }),
    {
      id: HostSystemId,
      revision: z.number().check(z.int(), z.minimum(1)).register(z.globalRegistry, {
        description: 'Also the ETag: send it as If-Match to replace the entry',
      }),
      updatedAt: z.iso.datetime(),
      updatedBy: ActorRef,
    },
  )
  .register(z.globalRegistry, { id: 'RegisteredHostSystem' });
export type RegisteredHostSystem = z.infer<typeof RegisteredHostSystem>;

export const registeredHostSystem = (entry: HostSystemEntry): RegisteredHostSystem => ({
  id: entry.id,
  ...entry.hostSystem,
  revision: entry.revision,
  updatedAt: entry.updatedAt,
  updatedBy: entry.updatedBy,
});

/** Only a service administrator: a host system may speak for many organisations. */
export const mayManageHostSystems = (actor: Actor): Refusal | null =>
  actor.kind === 'serviceAdmin'
    ? null
    : forbidden('only a service administrator (an admin of no organisation) manages host systems');

/** Registers or replaces an entry whole; the same entry again is no change (no revision). */
export const writeHostSystem = (
  current: HostSystemEntry | null,
  change: { id: string; hostSystem: HostSystem; basedOn: number | undefined },
  ctx: { actor: Actor; now: string },
): Outcome<HostSystemEntry> => {
  const refusal =
    mayManageHostSystems(ctx.actor) ??
    expectEntryRevision(current, change.basedOn, 'no host system with this id is registered');
  if (refusal) return { ok: false, refusal };
  if (current && JSON.stringify(current.hostSystem) === JSON.stringify(change.hostSystem))
    return { ok: true, value: current, events: [] };
  return {
    ok: true,
    value: {
      id: change.id,
      revision: (current?.revision ?? 0) + 1,
      hostSystem: change.hostSystem,
      updatedAt: ctx.now,
      updatedBy: actorRef(ctx.actor),
    },
    events: [],
  };
};
