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
  /** One item per Idempotency-Key: `IDEMPOTENCY#<sha256 of method, path, caller and key>` / `REQUEST`. */
  idempotency: (id: string) => `IDEMPOTENCY#${id}`,
  idempotencyRecord: 'REQUEST',
  /** A registered host system's revisions: `HOST#<id>` / `REV#<n>`. */
  hostSystem: (id: string) => `HOST#${id}`,
  /** A host's assertion exchanged once: `ASSERTION#<host id>` / `JTI#<jti>`, until it expires. */
  assertion: (hostSystem: string) => `ASSERTION#${hostSystem}`,
  assertionId: (jti: string) => `JTI#${jti}`,
} as const;
