// zod/mini (a third of classic zod in a bundle); schemas marked pure are dropped where unused.
import * as z from 'zod/mini';

/**
 * Staff roles (NHS CIS2), grouped as docs/domain.md "Who is who" lists them: the token's vocabulary.
 * What each may do is domain/permissions.ts `policy` alone; no decision reads these lists.
 */
const ratifierRoles = ['gp', 'consultant', 'specialist_nurse'] as const;
const contributorRoles = ['nurse', 'hospice_clinician'] as const;
const careTeamReaderRoles = ['care_home', 'social_worker'] as const;
const urgentCareRoles = ['paramedic', 'call_handler', 'ed_clinician'] as const;
export const staffRoles = [
  ...ratifierRoles,
  ...contributorRoles,
  ...careTeamReaderRoles,
  ...urgentCareRoles,
  'privacy_officer',
  'admin',
] as const;
export const citizenRoles = ['patient', 'carer'] as const;
export const roles = [...staffRoles, ...citizenRoles] as const;

export const StaffRole = /* @__PURE__ */ z.enum(staffRoles);
export type StaffRole = z.infer<typeof StaffRole>;
export const CitizenRole = /* @__PURE__ */ z.enum(citizenRoles);
export type CitizenRole = z.infer<typeof CitizenRole>;
export const Role = /* @__PURE__ */ z.enum(roles);
export type Role = z.infer<typeof Role>;

/** An ODS organisation code: 3 to 10 upper-case letters and digits (e.g. A81001, RYJ). */
export const odsCodePattern = /^[A-Z0-9]{3,10}$/;
export const OdsCode = /* @__PURE__ */ z
  .string()
  .check(z.regex(odsCodePattern, 'must be an ODS code: 3 to 10 capital letters and digits'))
  .register(z.globalRegistry, { id: 'OdsCode', example: 'A81001' });

/** Identity proofing levels of NHS login; P9 is needed to see or write health records. */
export const proofingLevels = ['P0', 'P5', 'P9'] as const;
export const ProofingLevel = /* @__PURE__ */ z.enum(proofingLevels);
export type ProofingLevel = z.infer<typeof ProofingLevel>;

export type StaffActor = {
  kind: 'staff';
  id: string;
  role: StaffRole;
  organisation: string;
  name?: string;
  /**
   * Launched from a host system (domain/launch.ts): the service's own token, exchanged for the
   * host's assertion, about this one patient only.
   */
  launch?: { hostSystem: string; patient: string };
};

/** An admin of the whole service rather than of one organisation: it manages any registry entry, and nothing else. */
export type ServiceAdminActor = {
  kind: 'serviceAdmin';
  id: string;
  role: 'admin';
  name?: string;
};

/**
 * The grant a carer acts under for one patient: the patient's active grant naming them, found in
 * the patient's grants as stored on every request (domain/carers.ts `actingFor`), never in a token.
 */
export type Proxy = { nhsNumber: string; grantId: string; access: 'read' | 'co-author' };

/**
 * A patient, or a carer: each signed in as themselves, `nhsNumber` their own. A carer acts for a
 * patient only under `proxy`, set for the patient asked about while a grant of theirs is active.
 */
export type CitizenActor = {
  kind: 'citizen';
  id: string;
  role: CitizenRole;
  nhsNumber: string;
  proofingLevel: ProofingLevel;
  name?: string;
  proxy?: Proxy;
};

export type Actor = StaffActor | CitizenActor | ServiceAdminActor;

/** Who did something, as recorded on revisions, access records and events: ids, never names. */
export const ActorRef = /* @__PURE__ */ z
  .object({
    id: z.string(),
    role: Role,
    organisation: z.optional(z.string()),
    via: z.optional(z.string()).register(z.globalRegistry, {
      description: 'The host system the user was launched from (token exchange), when they were',
    }),
  })
  .register(z.globalRegistry, { id: 'ActorRef' });
export type ActorRef = z.infer<typeof ActorRef>;

/** For whom and under which grant a carer acted: kept on their access records and revisions. */
export const onBehalfOf = (actor: Actor): { onBehalfOf: string; grantId: string } | undefined =>
  actor.kind === 'citizen' && actor.proxy
    ? { onBehalfOf: actor.proxy.nhsNumber, grantId: actor.proxy.grantId }
    : undefined;

export const actorRef = (actor: Actor): ActorRef =>
  actor.kind === 'staff'
    ? {
        id: actor.id,
        role: actor.role,
        organisation: actor.organisation,
        ...(actor.launch && { via: actor.launch.hostSystem }),
      }
    : { id: actor.id, role: actor.role };
