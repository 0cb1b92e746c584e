import type { AccessRecord } from '../../domain/access.ts';
import type { PlanCommandName } from '../../domain/actions.ts';
import type { ActorRef } from '../../domain/actor.ts';
import type { CarerGrant, CarerRevocation, GrantRecord } from '../../domain/carers.ts';
import type { DomainEvent } from '../../domain/events.ts';
import type { HostSystemEntry } from '../../domain/host-system.ts';
import type { OrganisationEntry } from '../../domain/organisation.ts';
import type {
  CareTeamDetails,
  PatientProfile,
  Plan,
  PlanStatus,
  PublishedVersion,
} from '../../domain/plan.ts';
import type { PublicJwks } from './signing/jws.ts';
import type { Page, PageRequest } from './store/cursor.ts';

/**
 * The ports by aggregate: what the handlers and consumers need of storage, in the domain's terms.
 * Their DynamoDB adapters are in store/; functions/platform/composition-root.ts makes them. A
 * listing given a `next` it did not issue throws `InvalidCursor` (store/cursor.ts).
 */

export type { AccessRecord, GrantRecord, Page, PageRequest };

/** The `PROFILE` item: the patient as enrolled, and the care team before any plan (details absent on older profiles). */
export type PatientRecord = {
  profile: PatientProfile;
  careTeam: string[];
  careTeamDetails?: CareTeamDetails;
  enrolledAt: string;
};

export class PatientAlreadyEnrolled extends Error {
  override name = 'PatientAlreadyEnrolled';
}

export interface Patients {
  get(nhsNumber: string): Promise<PatientRecord | null>;
  /** The profile exists once: a second enrolment throws `PatientAlreadyEnrolled`. Its events ride on it (the outbox). */
  enrol(record: PatientRecord, events: DomainEvent[]): Promise<void>;
}

export type RevisionRecord = {
  plan: Plan;
  command: PlanCommandName;
  by: ActorRef;
  at: string;
  events: DomainEvent[];
  /** The version this revision published, as the domain decided (domain/lifecycle.ts versionPublishedBy). */
  publishedVersion?: number;
  /** Written by a carer: the patient they acted for and the grant they acted under. */
  onBehalfOf?: string;
  grantId?: string;
};

/** Lost the race for revision n+1: someone else wrote it first. */
export class PlanRevisionConflict extends Error {
  override name = 'PlanRevisionConflict';
}
export class PlanTooLarge extends Error {
  override name = 'PlanTooLarge';
}

/** A plan is its revisions; a revision that published a version is that version. */
export interface Plans {
  /** The plan as it is now: its newest revision. */
  current(nhsNumber: string): Promise<Plan | null>;
  revision(nhsNumber: string, revision: number): Promise<RevisionRecord | null>;
  /**
   * Revision n+1, its events riding on it (the outbox). Throws `PlanRevisionConflict` when revision
   * n+1 is already there, `PlanTooLarge` when it cannot be stored.
   */
  append(record: RevisionRecord): Promise<void>;
  version(nhsNumber: string, version: number): Promise<PublishedVersion | null>;
  /** Newest first. */
  versions(nhsNumber: string, page: PageRequest): Promise<Page<PublishedVersion>>;
}

export type AccessLogEntry = {
  at: string;
  actor: ActorRef;
  action: string;
  purpose: string | null;
  breakGlass: boolean;
  /** The host system the actor was launched from (actor.via), when they were. */
  via?: string;
  /** A carer's read or change: the patient they acted for, and under which grant. */
  onBehalfOf?: string;
  grantId?: string;
};

export type BreakGlassReport = {
  at: string;
  /** The id of the CarePlan.Accessed event, quoted in the privacy officer's email. */
  reference: string;
  nhsNumber: string;
  reader: ActorRef;
  reason: string;
  action: string;
  purpose: string | null;
};

/** Who read or changed a plan, and the break-glass reads each organisation's privacy officer reviews. */
export interface Audit {
  /** Written before any plan data is returned: no unaudited access. A break-glass read is filed under `reportedTo`. */
  recordAccess(record: AccessRecord): Promise<void>;
  /** Reads and changes of the plan, newest first; `organisation` narrows to one organisation's staff. */
  accessLog(nhsNumber: string, page: PageRequest, organisation?: string): Promise<Page<AccessLogEntry>>;
  /** Break-glass reads by an organisation's staff, newest first. */
  breakGlassReports(organisation: string, page: PageRequest): Promise<Page<BreakGlassReport>>;
}

/** Lost the race for the next grant number: another grant was put first. */
export class CarerGrantConflict extends Error {
  override name = 'CarerGrantConflict';
}
/** The grant is already revoked: of two revocations, the other was put first. */
export class GrantAlreadyRevoked extends Error {
  override name = 'GrantAlreadyRevoked';
}

/** The patient's carer grants: each grant and each revocation an item of its own, put once. */
export interface Carers {
  /** Every grant of the patient with its revocation, if any, in grant order (one Query). */
  grants(nhsNumber: string): Promise<GrantRecord[]>;
  /** Throws `CarerGrantConflict` when a grant with its number is already there. Its events ride on it. */
  grant(grant: CarerGrant, events: DomainEvent[]): Promise<void>;
  /**
   * Throws `GrantAlreadyRevoked` when the grant already has its revocation. Its events ride on it;
   * `carer` is set when a carer revoked their own grant.
   */
  revoke(
    nhsNumber: string,
    revocation: CarerRevocation,
    events: DomainEvent[],
    carer?: { onBehalfOf: string; grantId: string },
  ): Promise<void>;
}

/** One revision of a registry entry, with the event it raised. */
export type OrganisationRevisionRecord = OrganisationEntry & { events: DomainEvent[] };

/** Lost the race for the next revision of a registry entry. */
export class OrganisationRevisionConflict extends Error {
  override name = 'OrganisationRevisionConflict';
}

/** The organisation registry: each entry kept as its revisions. */
export interface Organisations {
  /** The entry as it is now: its newest revision. */
  get(ods: string): Promise<OrganisationEntry | null>;
  /** Throws `OrganisationRevisionConflict` when that revision is already there. */
  append(record: OrganisationRevisionRecord): Promise<void>;
}

/** `claimed`: send it now. `alreadySent`: a delivery did. `inFlight`: another delivery is sending it. */
export type DeliveryClaim = 'claimed' | 'alreadySent' | 'inFlight';

/** At most one message per event and address. */
export interface Deliveries {
  /**
   * Claims the sending of one event's message to one address, for a while: a send cut short is
   * tried again once the claim lapses, a message recorded as sent never is.
   */
  claimDelivery(eventId: string, address: string, at?: Date): Promise<DeliveryClaim>;
  /** No redelivery of the event sends it again. */
  markDelivered(eventId: string, address: string, at?: Date): Promise<void>;
  /** Gives the claim back: a redelivery sends it. */
  releaseDelivery(eventId: string, address: string): Promise<void>;
}

export type WorklistItem = {
  nhsNumber: string;
  submittedAt: string;
  submittedBy: ActorRef;
  clinician?: string;
};

/** One of an organisation's patients: `enrolled` while there is no plan yet. */
export type OrganisationPatient = {
  nhsNumber: string;
  status: PlanStatus | 'enrolled';
  reviewDate: string | null;
};

/**
 * What waits for whom, kept from the revisions (eventually consistent) and read by the worklists:
 * plans awaiting ratification by an organisation, and each organisation's patients.
 */
export interface Worklists {
  /** Brings the worklists up to a new revision; idempotent, and an older revision never undoes a newer one. */
  project(plan: Plan, previous: Plan | null, at: string): Promise<void>;
  /** Links the care team of a new enrolment to the patient; never over a link a revision made. */
  projectEnrolment(nhsNumber: string, careTeam: readonly string[], at: string): Promise<void>;
  awaitingRatification(organisation: string, page: PageRequest): Promise<Page<WorklistItem>>;
  /** The patients whose care team the organisation is in, by NHS number. */
  patientsOf(organisation: string, page: PageRequest): Promise<Page<OrganisationPatient>>;
}

/**
 * The service's own signing key (an asymmetric KMS key in AWS, a key file on one machine): what it
 * signs, anyone verifies against `GET /.well-known/jwks.json`. Adapters in signing/.
 */
export interface ServiceSigner {
  /** A compact JWS of `payload`, ES256 with the current key: header `kid` its RFC 7638 thumbprint, `typ` as given. */
  sign(payload: Record<string, unknown>, options: { typ: string }): Promise<string>;
  /** The current key first, then each previous key still published (until what it signed has expired). */
  publicKeys(): Promise<PublicJwks>;
}

/** Lost the race for the next revision of a host system's entry. */
export class HostSystemRevisionConflict extends Error {
  override name = 'HostSystemRevisionConflict';
}

/** The registry of host systems that may launch users (domain/host-system.ts), each entry kept as its revisions. */
export interface HostSystems {
  /** The entry as it is now: its newest revision. */
  get(id: string): Promise<HostSystemEntry | null>;
  /** Throws `HostSystemRevisionConflict` when that revision is already there. */
  append(entry: HostSystemEntry): Promise<void>;
}

/** Host assertions exchanged: each `jti` of a host once. */
export interface Launches {
  /**
   * Claims an assertion's `jti` until `expiresAt` (seconds since the epoch), after which the
   * assertion is refused for its age anyway: true the first time, false for a replay.
   */
  claimAssertion(hostSystem: string, jti: string, expiresAt: number): Promise<boolean>;
}
