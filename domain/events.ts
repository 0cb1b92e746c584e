import type { ReadAction } from './actions.ts';
import type { ActorRef } from './actor.ts';
import type { LegalBasis } from './carers.ts';
import type { AddressChange, OrganisationField } from './organisation.ts';
import type { DocumentPointer, RetirementReason } from './pointer.ts';
import type { PlaceCode, SectionName } from './sections.ts';

/**
 * What each command raises. Events are thin: identifiers and facts, never clinical content;
 * a partner fetches the plan through the API with its own rights. The versioned wire
 * schemas partners rely on live in events/.
 */
export type EventDetails = {
  'Patient.Enrolled': { nhsNumber: string; gpPractice: string; enrolledBy: ActorRef };
  'CarePlan.Created': { nhsNumber: string; revision: number; createdBy: ActorRef; sections: SectionName[] };
  'CarePlan.DraftUpdated': {
    nhsNumber: string;
    revision: number;
    updatedBy: ActorRef;
    sections: SectionName[];
  };
  'CarePlan.Submitted': {
    nhsNumber: string;
    revision: number;
    submittedBy: ActorRef;
    submittedTo: { organisation: string; clinician?: string };
  };
  'CarePlan.Ratified': {
    nhsNumber: string;
    revision: number;
    version: number;
    ratifiedBy: ActorRef;
    careTeam: string[];
  };
  /** A version is shared: the record locator's pointer to it, replacing the previous version's. */
  'CarePlan.Published': {
    nhsNumber: string;
    revision: number;
    version: number;
    pointer: DocumentPointer;
    replaces: string | null;
  };
  /** The plan is no longer shared (withdrawn, or the patient died): the pointer is retired. */
  'CarePlan.Unpublished': {
    nhsNumber: string;
    revision: number;
    version: number;
    pointerId: string;
    reason: RetirementReason;
  };
  'CarePlan.Returned': {
    nhsNumber: string;
    revision: number;
    returnedBy: ActorRef;
    submittedBy: ActorRef | null;
    careTeam: string[];
  };
  'CarePlan.Withdrawn': { nhsNumber: string; revision: number; withdrawnBy: ActorRef; careTeam: string[] };
  'Patient.Died': {
    nhsNumber: string;
    revision: number;
    recordedBy: ActorRef;
    date: string;
    place: PlaceCode;
    diedInPreferredPlace: boolean | null;
  };
  'CarePlan.Accessed': {
    nhsNumber: string;
    accessId: string;
    reader: ActorRef;
    action: ReadAction;
    purpose: string | null;
    breakGlass: boolean;
  };
  /** An organisation added to the care team: its staff may read the plan from now on. */
  'CareTeam.Joined': { nhsNumber: string; revision: number; organisation: string; addedBy: ActorRef };
  /** An organisation taken out of the care team: its staff lost access. */
  'CareTeam.Left': { nhsNumber: string; revision: number; organisation: string; removedBy: ActorRef };
  /** A carer may act for the patient: never the carer's NHS number or name (patient-identifiable). */
  'Carer.Granted': {
    nhsNumber: string;
    grantId: string;
    access: 'read' | 'co-author';
    legalBasis: LegalBasis;
    until: string | null;
    grantedBy: ActorRef;
  };
  'Carer.Revoked': { nhsNumber: string; grantId: string; revokedBy: ActorRef };
  /** A user launched from a host system into one patient's record: their session's facts, never their name. */
  'Session.Launched': {
    nhsNumber: string;
    accessId: string;
    user: ActorRef;
    hostSystem: string;
    hostRole: string;
    sessionId: string;
    expiresAt: string;
  };
  /** A registry entry written: which fields changed and, for addresses (organisational, never a patient's), from what to what. */
  'Organisation.Updated': {
    ods: string;
    revision: number;
    updatedBy: ActorRef;
    changedFields: OrganisationField[];
    addressChanges: AddressChange[];
  };
};

export type EventType = keyof EventDetails;

export type DomainEvent<T extends EventType = EventType> = {
  [K in T]: { id: string; type: K; at: string; detail: EventDetails[K] };
}[T];

export const raise = <T extends EventType>(
  type: T,
  detail: EventDetails[T],
  ctx: { now: string; newId: () => string },
): DomainEvent<T> => ({ id: ctx.newId(), type, at: ctx.now, detail }) as DomainEvent<T>;
