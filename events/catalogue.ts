// zod/mini (a third of classic zod in a bundle); schemas marked pure are dropped where unused.
import * as z from 'zod/mini';
import { readActions } from '../domain/actions.ts';
import { ActorRef, odsCodePattern } from '../domain/actor.ts';
import { carerAccess, legalBases } from '../domain/carers.ts';
import type { EventType } from '../domain/events.ts';
import { addressFields, organisationFields } from '../domain/organisation.ts';
import { documentCategory, documentContentType, documentType } from '../domain/pointer.ts';
import { PlaceCode, SectionName } from '../domain/sections.ts';
import { eventSource } from './source.ts';

/**
 * The event catalogue: what partners may rely on. One versioned schema per detail-type, source
 * `urgent-care-plans`. Events are thin: identifiers and facts, never clinical content. A new
 * optional field keeps the version; anything else is a new version, published alongside.
 */

const nhsNumber = /* @__PURE__ */ z.string().check(z.regex(/^\d{10}$/));
const ods = /* @__PURE__ */ z.string();
const coding = (fixed: { system: string; code: string; display: string }) =>
  z.object({ system: z.literal(fixed.system), code: z.literal(fixed.code), display: z.string() });
/** Every detail carries the event's stable id (consumers are idempotent on it) and its schema version. */
const envelope = {
  eventId: /* @__PURE__ */ z
    .string()
    .register(z.globalRegistry, { description: 'Stable ULID; the same on every delivery' }),
  version: /* @__PURE__ */ z.literal(1),
};

export const detailSchemas = {
  'Patient.Enrolled': /* @__PURE__ */ z.object({
    ...envelope,
    nhsNumber,
    gpPractice: ods,
    enrolledBy: ActorRef,
  }),
  'CarePlan.Created': /* @__PURE__ */ z.object({
    ...envelope,
    nhsNumber,
    revision: z.number().check(z.int()),
    createdBy: ActorRef,
    sections: z.array(SectionName),
  }),
  'CarePlan.DraftUpdated': /* @__PURE__ */ z.object({
    ...envelope,
    nhsNumber,
    revision: z.number().check(z.int()),
    updatedBy: ActorRef,
    sections: z
      .array(SectionName)
      .register(z.globalRegistry, { description: 'Which sections changed, never their content' }),
  }),
  'CarePlan.Submitted': /* @__PURE__ */ z.object({
    ...envelope,
    nhsNumber,
    revision: z.number().check(z.int()),
    submittedBy: ActorRef,
    submittedTo: z.object({ organisation: ods, clinician: z.optional(z.string()) }),
  }),
  'CarePlan.Ratified': /* @__PURE__ */ z.object({
    ...envelope,
    nhsNumber,
    revision: z.number().check(z.int()),
    planVersion: z
      .number()
      .check(z.int())
      .register(z.globalRegistry, { description: 'The published version number of the plan' }),
    ratifiedBy: ActorRef,
    careTeam: z.array(ods),
  }),
  'CarePlan.Published': /* @__PURE__ */ z.object({
    ...envelope,
    nhsNumber,
    revision: z.number().check(z.int()),
    planVersion: z
      .number()
      .check(z.int())
      .register(z.globalRegistry, { description: 'The published version number of the plan' }),
    pointer: z
      .object({
        id: z.string().register(z.globalRegistry, {
          description: 'Stable for the version: the FHIR DocumentReference id and the retirement key',
        }),
        nhsNumber,
        planVersion: z.number().check(z.int()),
        type: coding(documentType),
        category: coding(documentCategory),
        custodian: z
          .string()
          .check(z.regex(odsCodePattern))
          .register(z.globalRegistry, { description: 'ODS code of the organisation that runs the service' }),
        url: z.url().register(z.globalRegistry, {
          description: 'The FHIR document of this version (GET, application/fhir+json)',
        }),
        contentType: z.literal(documentContentType),
        created: z.iso.datetime(),
      })
      .register(z.globalRegistry, {
        description: 'The National Record Locator pointer to this version (docs/fhir.md)',
      }),
    replaces: z.nullable(z.string()).register(z.globalRegistry, {
      description: "The pointer this one supersedes (the previous version's), null for the first",
    }),
  }),
  'CarePlan.Unpublished': /* @__PURE__ */ z.object({
    ...envelope,
    nhsNumber,
    revision: z.number().check(z.int()),
    planVersion: z
      .number()
      .check(z.int())
      .register(z.globalRegistry, { description: 'The last published version, no longer shared' }),
    pointerId: z
      .string()
      .register(z.globalRegistry, { description: 'The pointer to retire (CarePlan.Published pointer.id)' }),
    reason: z.enum(['withdrawn', 'died']),
  }),
  'CarePlan.Returned': /* @__PURE__ */ z.object({
    ...envelope,
    nhsNumber,
    revision: z.number().check(z.int()),
    returnedBy: ActorRef,
    submittedBy: z.nullable(ActorRef),
    careTeam: z.array(ods),
  }),
  'CarePlan.Withdrawn': /* @__PURE__ */ z.object({
    ...envelope,
    nhsNumber,
    revision: z.number().check(z.int()),
    withdrawnBy: ActorRef,
    careTeam: z.array(ods),
  }),
  'Patient.Died': /* @__PURE__ */ z.object({
    ...envelope,
    nhsNumber,
    revision: z.number().check(z.int()),
    recordedBy: ActorRef,
    date: z.iso.date(),
    place: PlaceCode,
    diedInPreferredPlace: z.nullable(z.boolean()),
  }),
  'CarePlan.Accessed': /* @__PURE__ */ z.object({
    ...envelope,
    nhsNumber,
    accessId: z.string(),
    reader: ActorRef,
    action: z.enum(readActions),
    purpose: z.nullable(z.string()),
    breakGlass: z.boolean(),
  }),
  'CareTeam.Joined': /* @__PURE__ */ z.object({
    ...envelope,
    nhsNumber,
    revision: z.number().check(z.int()),
    organisation: z.string().register(z.globalRegistry, {
      description: 'The organisation added: its staff may read the plan from now on',
    }),
    addedBy: ActorRef,
  }),
  'CareTeam.Left': /* @__PURE__ */ z.object({
    ...envelope,
    nhsNumber,
    revision: z.number().check(z.int()),
    organisation: z.string().register(z.globalRegistry, {
      description: 'The organisation removed: its staff lost access at once',
    }),
    removedBy: ActorRef,
  }),
  'Carer.Granted': /* @__PURE__ */ z.object({
    ...envelope,
    nhsNumber: z
      .string()
      .check(z.regex(/^\d{10}$/))
      .register(z.globalRegistry, {
        description: "The patient's NHS number; never the carer's, nor their name",
      }),
    grantId: z.string(),
    access: z.enum(carerAccess),
    legalBasis: z.enum(legalBases),
    until: z
      .nullable(z.iso.date())
      .register(z.globalRegistry, { description: 'The last day of the grant; null: open-ended' }),
    grantedBy: ActorRef,
  }),
  'Carer.Revoked': /* @__PURE__ */ z.object({
    ...envelope,
    nhsNumber,
    grantId: z.string(),
    revokedBy: ActorRef,
  }),
  'Session.Launched': /* @__PURE__ */ z.object({
    ...envelope,
    nhsNumber,
    accessId: z
      .string()
      .register(z.globalRegistry, { description: "The launch's entry in the patient's access log" }),
    user: ActorRef,
    hostSystem: z
      .string()
      .register(z.globalRegistry, { description: 'The registered host system the user was launched from' }),
    hostRole: z.string().register(z.globalRegistry, {
      description: "The host's role code for the user (e.g. a national RBAC job role code), as it sent it",
    }),
    sessionId: z.string().register(z.globalRegistry, { description: "The service token's `jti`" }),
    expiresAt: z.iso.datetime(),
  }),
  'Organisation.Updated': /* @__PURE__ */ z.object({
    ...envelope,
    ods: z.string().check(z.regex(odsCodePattern)),
    revision: z.number().check(z.int()).register(z.globalRegistry, {
      description: 'The revision of the registry entry; 1 when first registered',
    }),
    updatedBy: ActorRef,
    changedFields: z.array(z.enum(organisationFields)),
    addressChanges: z
      .array(
        z.object({
          field: z.enum(addressFields),
          from: z
            .nullable(z.email())
            .register(z.globalRegistry, { description: 'null: the address was first set' }),
          to: z
            .nullable(z.email())
            .register(z.globalRegistry, { description: 'null: the address was removed' }),
        }),
      )
      .register(z.globalRegistry, { description: "Organisational addresses, never a patient's" }),
  }),
} satisfies Record<EventType, z.ZodMiniType>;

export type EventDetail<T extends EventType> = z.infer<(typeof detailSchemas)[T]>;

export const eventTypes = Object.keys(detailSchemas) as EventType[];

/** The JSON Schema of each detail-type's `detail`, open to new optional fields (same version). */
export const jsonSchemas = (): Record<string, unknown> =>
  Object.fromEntries(
    eventTypes.map((type) => [
      `${type}.v1.json`,
      {
        $id: `urn:urgent-care-plans:events:${type}:v1`,
        title: `${type} (detail, version 1)`,
        description: `EventBridge event from source "${eventSource}", detail-type "${type}": the shape of its detail.`,
        ...z.toJSONSchema(detailSchemas[type], { target: 'draft-2020-12', io: 'input' }),
      },
    ]),
  );
