// A namespace import, and schemas marked pure, let the bundler keep only what a function uses.
import * as z from 'zod';
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
  .meta({ id: 'OrganisationKind' });
export type OrganisationKind = z.infer<typeof OrganisationKind>;

/**
 * An organisation in the registry (the `ORG#<ods>` / `PROFILE` item), as an admin writes it.
 * The ODS code is the key and comes from the path, so it is not in the body.
 */
export const Organisation = /* @__PURE__ */ z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    kind: OrganisationKind,
    notificationEmail: z.email().max(254).meta({
      description: 'Where the organisation is told of plans submitted to it and changes to its patients',
    }),
    privacyOfficerEmail: z
      .email()
      .max(254)
      .optional()
      .meta({ description: "Where break-glass access by the organisation's staff is reported" }),
  })
  .meta({ id: 'Organisation' });
export type Organisation = z.infer<typeof Organisation>;

/** An organisation as the registry answers it: with its ODS code and when it was last written. */
export const RegisteredOrganisation = /* @__PURE__ */ Organisation.extend({
  ods: OdsCode,
  updatedAt: z.iso.datetime(),
  updatedBy: ActorRef,
}).meta({ id: 'RegisteredOrganisation' });
export type RegisteredOrganisation = z.infer<typeof RegisteredOrganisation>;

/** Only an admin manages the registry (DOMAIN.md "Who is who"). */
export const mayManageOrganisations = (actor: Actor): Refusal | null =>
  actor.kind === 'staff' && actor.role === 'admin'
    ? null
    : forbidden('only an admin may manage the organisation registry');
