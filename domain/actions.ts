// zod/mini, with metadata registered rather than chained, reads the same in classic zod.
import * as z from 'zod/mini';

/** Every command a role may be granted: the policy's, the revision record's and the access log's word for it. */
export const commandNames = [
  'enrol',
  'create',
  'edit',
  'submit',
  'ratify',
  'return',
  'withdraw',
  'recordDeath',
  'joinCareTeam',
  'leaveCareTeam',
  'grantCarer',
  'revokeCarer',
] as const;
export type CommandName = (typeof commandNames)[number];

/** Commands on the patient's carer grants: each writes a grant or its revocation, not a revision. */
export type CarerCommandName = 'grantCarer' | 'revokeCarer';

/** A command that makes a revision of the plan (enrolment makes a patient, not a revision). */
export type PlanCommandName = Exclude<CommandName, 'enrol' | CarerCommandName>;

/** Reads that are audited: one word a route, and `found_by_search` for each patient a search returns. */
export const readActions = [
  'read_demographics',
  'read_plan',
  'read_summary',
  'read_versions',
  'read_version',
  'read_plan_fhir',
  'search_pointers',
  'read_care_team',
  'read_carers',
  'found_by_search',
] as const;
export type ReadAction = (typeof readActions)[number];

/** A user launched from a host system into one patient's record (domain/launch.ts). */
export type LaunchAction = 'launched';

/**
 * The public `action` of an access-log entry or break-glass report. Clients depend on these
 * words: add new ones, never rename or remove one.
 */
const accessLogActions = {
  read_demographics: "read the patient's demographics",
  read_plan: 'read the plan',
  read_summary: 'read the crisis summary',
  read_versions: 'listed the published versions',
  read_version: 'read one published version',
  found_by_search: 'found the patient by a search on their name and birth date',
  read_plan_fhir: 'read a published version as a FHIR document',
  search_pointers: "searched the record locator's pointers to the plan",
  create: 'created the plan (its first draft)',
  edit: 'changed the draft',
  submit: 'submitted the draft for ratification',
  ratify: 'ratified the draft, publishing a version',
  return: 'returned the submitted draft with comments',
  withdraw: 'withdrew the plan (consent withdrawn)',
  recordDeath: "recorded the patient's death",
  read_care_team: 'read who is in the care team',
  read_carers: 'listed the carers who may act for the patient',
  joinCareTeam: 'added an organisation to the care team',
  leaveCareTeam: 'removed an organisation from the care team',
  grantCarer: 'granted a carer access to act for the patient',
  revokeCarer: "revoked a carer's access",
  launched:
    'opened the record from a host system (token exchange): `via` names the host system, the actor the user and their organisation',
} as const satisfies Record<ReadAction | PlanCommandName | CarerCommandName | LaunchAction, string>;

export type AccessLogAction = keyof typeof accessLogActions;

export const AccessLogAction = /* @__PURE__ */ z
  .enum(Object.keys(accessLogActions) as [AccessLogAction, ...AccessLogAction[]])
  .register(z.globalRegistry, {
    id: 'AccessLogAction',
    description: `What was done: ${Object.entries(accessLogActions)
      .map(([action, meaning]) => `\`${action}\` ${meaning}`)
      .join('; ')}.`,
    'x-enumDescriptions': accessLogActions,
  });
