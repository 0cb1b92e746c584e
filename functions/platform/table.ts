/**
 * The single table's shape, shared by the repository, the local runtime and the CDK stack
 * so all three agree on names. See docs/design.md "Data: one table, one write per command".
 */
export const table = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Sparse local index: only revisions that published a version carry `versionSk`. */
  versionIndex: { name: 'byVersion', sortKey: 'versionSk' },
  /**
   * By organisation: `TEAM#` items point from an organisation to its patients, and break-glass
   * access records to the organisation whose staff broke the glass (sparse: set on those alone).
   */
  teamIndex: { name: 'byOrganisation', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  /**
   * Finding a patient (sparse: set on the `SEARCH#` items alone): by the first two letters of the
   * normalised family name, then family name and birth date; and by birth date, for fuzzy search.
   */
  searchIndex: { name: 'byDemographics', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
  timeToLive: 'expiresAt',
} as const;

export const keys = {
  patient: (nhs: string) => `PATIENT#${nhs}`,
  profile: 'PROFILE',
  revision: (n: number) => `REV#${String(n).padStart(9, '0')}`,
  revisionPrefix: 'REV#',
  version: (n: number) => `VERSION#${String(n).padStart(9, '0')}`,
  access: (at: string, id: string) => `ACCESS#${at}#${id}`,
  accessPrefix: 'ACCESS#',
  team: (ods: string) => `TEAM#${ods}`,
  /** A carer grant, numbered per patient, and its revocation: each put once. */
  carerGrant: (id: string) => `CARER#${id.padStart(9, '0')}`,
  carerRevocation: (id: string) => `CARER#${id.padStart(9, '0')}#REVOKED`,
  carerPrefix: 'CARER#',
  organisation: (ods: string) => `ORG#${ods}`,
  breakGlass: (ods: string) => `BREAKGLASS#${ods}`,
  awaitingRatification: (nhs: string) => `AWAITING#${nhs}`,
  awaitingPrefix: 'AWAITING#',
  /** One item per notification sent: `DELIVERY#<eventId>` / `TO#<sha256 of the address>`. */
  delivery: (eventId: string) => `DELIVERY#${eventId}`,
  deliveryTo: (addressHash: string) => `TO#${addressHash}`,
  /** A patient's search keys (`SEARCH#NAME`, `SEARCH#BORN`), and the partitions they are found in. */
  search: (kind: 'NAME' | 'BORN') => `SEARCH#${kind}`,
  searchPrefix: 'SEARCH#',
  familyNames: (family: string) => `FAMILY#${family.slice(0, 2)}`,
  bornOn: (date: string) => `BORN#${date}`,
  /** A review due: `REVIEW#<kind>` (for reminders) and `REVIEW#<kind>#ORG#<ods>` (each organisation's worklist). */
  review: (kind: string) => `REVIEW#${kind}`,
  reviewAt: (kind: string, ods: string) => `REVIEW#${kind}#ORG#${ods}`,
  reviewPrefix: 'REVIEW#',
  /** Index partitions: an organisation's reviews by date, and every review due in a month. */
  reviewsOf: (ods: string) => `REVIEWS#${ods}`,
  reviewsDueIn: (month: string) => `REVIEWDUE#${month}`,
  /** One reminder of a review, made once: `PATIENT#<nhs>` / `REMINDER#<kind>#<date>#<threshold>`. */
  reminder: (kind: string, date: string, threshold: string) => `REMINDER#${kind}#${date}#${threshold}`,
  /** Outcome counters: `OUTCOMES#<ods>` / `MONTH#<yyyy-mm>`, and the organisations that have some. */
  outcomes: (ods: string) => `OUTCOMES#${ods}`,
  outcomeMonth: (month: string) => `MONTH#${month}`,
  outcomeMonthPrefix: 'MONTH#',
  outcomeOrganisations: 'OUTCOMES',
  /** One item per Idempotency-Key: `IDEMPOTENCY#<sha256 of method, path, caller and key>` / `REQUEST`. */
  idempotency: (id: string) => `IDEMPOTENCY#${id}`,
  idempotencyRecord: 'REQUEST',
  /** A registered host system's revisions: `HOST#<id>` / `REV#<n>`. */
  hostSystem: (id: string) => `HOST#${id}`,
  /** A host's assertion exchanged once: `ASSERTION#<host id>` / `JTI#<jti>`, until it expires. */
  assertion: (hostSystem: string) => `ASSERTION#${hostSystem}`,
  assertionId: (jti: string) => `JTI#${jti}`,
} as const;
