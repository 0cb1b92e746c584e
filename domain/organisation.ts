// zod/mini (a third of classic zod in a bundle); schemas marked pure are dropped where unused.
import * as z from 'zod/mini';
import { type Actor, ActorRef, OdsCode } from './actor.ts';
import { forbidden, type Refusal } from './refusals.ts';

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

/** An organisation as the registry answers it: with its ODS code and when it was last written. */
export const RegisteredOrganisation = /* @__PURE__ */ z
  .extend(Organisation, { ods: OdsCode, updatedAt: z.iso.datetime(), updatedBy: ActorRef })
  .register(z.globalRegistry, { id: 'RegisteredOrganisation' });
export type RegisteredOrganisation = z.infer<typeof RegisteredOrganisation>;

/** Only an admin manages the registry (DOMAIN.md "Who is who"). */
export const mayManageOrganisations = (actor: Actor): Refusal | null =>
  actor.kind === 'staff' && actor.role === 'admin'
    ? null
    : forbidden('only an admin may manage the organisation registry');
