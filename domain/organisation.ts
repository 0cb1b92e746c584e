// zod/mini (a third of classic zod in a bundle); schemas marked pure are dropped where unused.
import * as z from 'zod/mini';
import { type Actor, ActorRef, actorRef, OdsCode } from './actor.ts';
import { raise } from './events.ts';
import type { Outcome } from './lifecycle.ts';
import { forbidden, type Refusal } from './refusals.ts';
import { expectEntryRevision } from './registry.ts';

/** What kind of organisation an ODS code names: how it is shown, never what it may do. */
export const OrganisationKind = /* @__PURE__ */ z
  .enum([
    'gp_practice',
    'hospital',
    'hospice',
    'ambulance_service',
    'nhs111',
    'care_home',
    'community_services',
    'local_authority',
    'other',
  ])
  .register(z.globalRegistry, { id: 'OrganisationKind' });
export type OrganisationKind = z.infer<typeof OrganisationKind>;

/**
 * An organisation in the registry (the `ORG#<ods>` / `PROFILE` item), as an admin writes it.
 * The ODS code is the key and comes from the path, so it is not in the body.
 */
export const Organisation = /* @__PURE__ */ z
  .strictObject({
    name: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
    kind: OrganisationKind,
    notificationEmail: z.email().check(z.maxLength(254)).register(z.globalRegistry, {
      description: 'Where the organisation is told of plans submitted to it and changes to its patients',
    }),
    privacyOfficerEmail: z.optional(z.email().check(z.maxLength(254))).register(z.globalRegistry, {
      description: "Where break-glass access by the organisation's staff is reported",
    }),
  })
  .register(z.globalRegistry, { id: 'Organisation' });
export type Organisation = z.infer<typeof Organisation>;

/** The fields of an entry, in the order the registry lists them. */
export const organisationFields = [
  'name',
  'kind',
  'notificationEmail',
  'privacyOfficerEmail',
] as const satisfies readonly (keyof Organisation)[];
export type OrganisationField = (typeof organisationFields)[number];
export const addressFields = [
  'notificationEmail',
  'privacyOfficerEmail',
] as const satisfies readonly OrganisationField[];
export type AddressField = (typeof addressFields)[number];
/** One address of an entry changed: `from` null when it is first set, `to` null when it is removed. */
export type AddressChange = { field: AddressField; from: string | null; to: string | null };

/** An entry of the registry (an `ORG#<ods>` / `REV#` item): its ODS code, revision, and who wrote it last. */
export type OrganisationEntry = {
  ods: string;
  revision: number;
  organisation: Organisation;
  updatedAt: string;
  updatedBy: ActorRef;
};

/** An organisation as the registry answers it: with its ODS code, revision and when it was last written. */
export const RegisteredOrganisation = /* @__PURE__ */ z
  .extend(Organisation, {
    ods: OdsCode,
    revision: z
      .number()
      .check(z.int(), z.minimum(1))
      .register(z.globalRegistry, { description: 'Also the ETag: send it as If-Match to replace the entry' }),
    updatedAt: z.iso.datetime(),
    updatedBy: ActorRef,
  })
  .register(z.globalRegistry, { id: 'RegisteredOrganisation' });
export type RegisteredOrganisation = z.infer<typeof RegisteredOrganisation>;

export const registeredOrganisation = (entry: OrganisationEntry): RegisteredOrganisation => ({
  ods: entry.ods,
  ...entry.organisation,
  revision: entry.revision,
  updatedAt: entry.updatedAt,
  updatedBy: entry.updatedBy,
});

/**
 * Who may read and write an entry: the admin of that organisation (a token of that ODS code), or
 * a service administrator (an admin of no organisation), for any. No one else, so that no one
 * can redirect another organisation's alerts.
 */
export const mayManageOrganisation = (actor: Actor, ods: string): Refusal | null => {
  if (actor.kind === 'serviceAdmin') return null;
  if (actor.kind !== 'staff' || actor.role !== 'admin') {
    return forbidden('only an admin may manage the organisation registry');
  }
  return actor.organisation === ods
    ? null
    : forbidden("an organisation's admin manages only its own organisation's entry");
};

export type RegistryContext = { actor: Actor; now: string; newId: () => string };

/**
 * Registers or replaces an entry whole: the next revision and the `Organisation.Updated` event it
 * carries, naming the fields that changed and, for addresses, the old and new ones. An entry
 * written again unchanged is no change: no revision, no event.
 */
export const writeOrganisation = (
  current: OrganisationEntry | null,
  change: { ods: string; organisation: Organisation; basedOn: number | undefined },
  ctx: RegistryContext,
): Outcome<OrganisationEntry> => {
  const refusal =
    mayManageOrganisation(ctx.actor, change.ods) ??
    expectEntryRevision(current, change.basedOn, 'no organisation with this ODS code is registered');
  if (refusal) return { ok: false, refusal };
  const before: Partial<Organisation> = current?.organisation ?? {};
  const after = change.organisation;
  const changedFields = organisationFields.filter((field) => before[field] !== after[field]);
  if (current && changedFields.length === 0) return { ok: true, value: current, events: [] };
  const addressChanges: AddressChange[] = addressFields
    .filter((field) => before[field] !== after[field])
    .map((field) => ({ field, from: before[field] ?? null, to: after[field] ?? null }));
  const by = actorRef(ctx.actor);
  const entry: OrganisationEntry = {
    ods: change.ods,
    revision: (current?.revision ?? 0) + 1,
    organisation: after,
    updatedAt: ctx.now,
    updatedBy: by,
  };
  const event = raise(
    'Organisation.Updated',
    { ods: entry.ods, revision: entry.revision, updatedBy: by, changedFields, addressChanges },
    ctx,
  );
  return { ok: true, value: entry, events: [event] };
};
