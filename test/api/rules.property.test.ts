import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  commandRelationship,
  type Decision,
  type PatientState,
  readAccessLog,
  readCareTeam,
  readDemographics,
  readOutcomeReport,
  readPatientsOf,
  readPlan,
  readWorklist,
  refuseOtherCitizens,
  reviewBreakGlass,
  searchPatients,
} from '../../domain/access.ts';
import type { PlanCommandName } from '../../domain/actions.ts';
import { type Actor, type CitizenRole, citizenRoles, type Role, roles } from '../../domain/actor.ts';
import { actingFor, type GrantRecord, readCarers } from '../../domain/carers.ts';
import {
  type CommandContext,
  commandRefusal,
  createPlan,
  editDraft,
  enrolPatient,
  joinCareTeam,
  leaveCareTeam,
  type Outcome,
  ratifyPlan,
  recordDeath,
  returnPlan,
  submitPlan,
  withdrawPlan,
} from '../../domain/lifecycle.ts';
import { careTeamOf, relationshipOf } from '../../domain/permissions.ts';
import type { PatientProfile, Plan } from '../../domain/plan.ts';
import type { Refusal } from '../../domain/refusals.ts';
import { crisisSummary } from '../../domain/views.ts';
import { carers, patients, plans } from '../../functions/platform/composition-root.ts';
import { problemFromRefusal } from '../../functions/platform/problem.ts';
import { testPublisher } from '../support/publisher.ts';
import { type Api, startApi, testNhsNumber } from './harness.ts';

/**
 * For every role, standing, operation and plan state: the HTTP answer's status is the one the
 * domain decides for the state as stored. Patients in each state are built once through the API
 * and rebuilt only after a command changed one, so the runs stay cheap.
 */

const GP = 'A81001';
const RATIFIER_ORG = 'Y00001';
const ELSEWHERE = 'RRU';
/** An organisation clinicians of the care team add (and no one's token names). */
const JOINING = 'H77001';
const REASON = 'patient collapsed, no other record';
const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

const states = [
  'unenrolled',
  'enrolled',
  'draft',
  'submitted',
  'published',
  'publishedWithDraft',
  'withdrawn',
  'closed',
] as const;
type State = (typeof states)[number];

const bodies = {
  create: { sections: { aboutMe: { whatMattersToMe: 'my garden' } } },
  edit: { sections: { aboutMe: { whatMattersToMe: 'the sea' } } },
  submit: { organisation: RATIFIER_ORG },
  ratify: {},
  return: { comments: 'please add a contact' },
  withdraw: { reason: 'the patient asked us to stop sharing' },
  recordDeath: { date: yesterday, place: 'home' as const },
  joinCareTeam: { reason: 'hospice at home team now visiting' },
  leaveCareTeam: { reason: 'no longer involved' },
} satisfies Record<PlanCommandName, unknown>;
const commandPaths: Record<PlanCommandName, [string, string]> = {
  create: ['POST', '/plan'],
  edit: ['PATCH', '/plan'],
  submit: ['POST', '/plan/submit'],
  ratify: ['POST', '/plan/ratify'],
  return: ['POST', '/plan/return'],
  withdraw: ['POST', '/plan/withdraw'],
  recordDeath: ['POST', '/death'],
  joinCareTeam: ['PUT', `/care-team/${JOINING}`],
  // The organisation the test drafts are submitted to: refused while a draft waits there.
  leaveCareTeam: ['DELETE', `/care-team/${RATIFIER_ORG}`],
};
/** Care-team changes take no If-Match: they are retried on the newest revision instead. */
const withoutIfMatch: readonly PlanCommandName[] = ['joinCareTeam', 'leaveCareTeam'];
const reads = [
  'demographics',
  'plan',
  'summary',
  'versions',
  'accessLog',
  'worklist',
  'breakGlass',
  'careTeam',
  'carers',
  'organisationPatients',
  'reviews',
  'outcomes',
  'search',
] as const;
type Operation =
  | { kind: 'command'; command: PlanCommandName; fresh: boolean }
  | { kind: 'enrol' }
  | { kind: 'read'; read: (typeof reads)[number] };

/**
 * Who asks: a role, and for staff their organisation and whether they break glass; a patient asks
 * for their own record or another's; a carer (signed in as themselves) by the grant the patient
 * gave them: none, read, co-author, one whose last day has passed, or one revoked.
 */
const carerGrants = ['none', 'read', 'coAuthor', 'expired', 'revoked'] as const;
type CarerGrant = (typeof carerGrants)[number];
type Asker = { role: Role; organisation: string; breakGlass: boolean; own: boolean; grant: CarerGrant };
/** Each kind of carer's own NHS number. */
const carerNhs = (grant: CarerGrant): string => testNhsNumber(2 + carerGrants.indexOf(grant));

let api: Api;
let nextNhs = 100;
const pool = new Map<State, string>();

const profileOf = (nhsNumber: string): PatientProfile => ({
  nhsNumber,
  name: { given: 'Ada', family: 'Byron' },
  birthDate: '1940-01-01',
  postcode: 'LS1 4AP',
  gpPractice: GP,
});

const staffToken = (role: Role, org: string) => api.token({ role, org });
const succeed = async (method: string, path: string, token: string, json: unknown, ifMatch?: number) => {
  const response = await api.call(method, path, {
    token,
    json,
    ...(ifMatch !== undefined && { headers: { 'If-Match': `"${ifMatch}"` } }),
  });
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
  return Number(JSON.parse(response.headers.get('etag') ?? '0'));
};

/** A new patient in this state, made through the API. */
const build = async (state: State): Promise<string> => {
  const nhs = testNhsNumber(nextNhs++);
  if (state === 'unenrolled') return nhs;
  const base = `/patients/${nhs}`;
  const gp = staffToken('gp', GP);
  const ratifier = staffToken('gp', RATIFIER_ORG);
  await succeed('POST', '/patients', gp, profileOf(nhs));
  await grantEveryKind(nhs);
  if (state === 'enrolled') return nhs;
  let rev = await succeed('POST', `${base}/plan`, gp, bodies.create);
  if (state === 'draft') return nhs;
  rev = await succeed('POST', `${base}/plan/submit`, gp, bodies.submit, rev);
  if (state === 'submitted') return nhs;
  rev = await succeed('POST', `${base}/plan/ratify`, ratifier, {}, rev);
  if (state === 'publishedWithDraft') await succeed('PATCH', `${base}/plan`, gp, bodies.edit, rev);
  if (state === 'withdrawn') await succeed('POST', `${base}/plan/withdraw`, gp, bodies.withdraw, rev);
  if (state === 'closed') await succeed('POST', `${base}/death`, gp, bodies.recordDeath, rev);
  return nhs;
};

/** The patient's grants, one a kind of carer, as the store keeps them (an expired one cannot be made through the API). */
const grantEveryKind = async (nhs: string): Promise<void> => {
  const grantedBy = { id: 'patient-1', role: 'patient' as const };
  const at = new Date().toISOString();
  const kinds = carerGrants.filter((g) => g !== 'none');
  for (const [i, kind] of kinds.entries()) {
    const id = String(i + 1);
    await carers().grant(
      {
        id,
        nhsNumber: nhs,
        carer: { nhsNumber: carerNhs(kind), name: `carer ${kind}` },
        relationship: 'daughter',
        legalBasis: 'patient-consent',
        access: kind === 'read' ? 'read' : 'co-author',
        ...(kind === 'expired' && { until: '2020-01-01' }),
        grantedBy,
        grantedAt: at,
      },
      [],
    );
    if (kind === 'revoked') {
      await carers().revoke(nhs, { grantId: id, revokedBy: grantedBy, revokedAt: at, reason: 'ended' }, []);
    }
  }
};

const patientIn = async (state: State): Promise<string> => {
  const existing = pool.get(state);
  if (existing) return existing;
  const nhs = await build(state);
  pool.set(state, nhs);
  return nhs;
};

const actorOf = (asker: Asker, nhs: string): Actor =>
  (citizenRoles as readonly string[]).includes(asker.role)
    ? {
        kind: 'citizen',
        id: 'citizen-1',
        role: asker.role as CitizenRole,
        nhsNumber: asker.role === 'carer' ? carerNhs(asker.grant) : asker.own ? nhs : testNhsNumber(1),
        proofingLevel: 'P9',
      }
    : {
        kind: 'staff',
        id: `${asker.role}-1`,
        role: asker.role as Exclude<Role, CitizenRole>,
        organisation: asker.organisation,
      };

const tokenOf = (actor: Actor): string =>
  actor.kind === 'citizen'
    ? api.token({ role: actor.role, nhs: actor.nhsNumber })
    : api.token({ role: actor.role, org: actor.kind === 'staff' ? actor.organisation : undefined });

const statusOf = (refusal: Refusal | null, ok: number): number =>
  refusal ? problemFromRefusal(refusal).status : ok;
const statusOfDecision = <T>(decision: Decision<T>, ok = 200): number =>
  decision.ok ? ok : problemFromRefusal(decision.refusal).status;

const decideCommand = (
  command: PlanCommandName,
  nhs: string,
  state: PatientState,
  ctx: CommandContext,
): Outcome<Plan> => {
  const { plan } = state;
  switch (command) {
    case 'create':
      return createPlan(
        plan,
        state.enrolled && { nhsNumber: nhs, careTeam: state.enrolled.careTeam },
        bodies.create.sections,
        ctx,
      );
    case 'edit':
      return editDraft(plan, bodies.edit.sections, ctx);
    case 'submit':
      return submitPlan(plan, bodies.submit, ctx);
    case 'ratify':
      return ratifyPlan(plan, bodies.ratify, ctx);
    case 'return':
      return returnPlan(plan, bodies.return, ctx);
    case 'withdraw':
      return withdrawPlan(plan, bodies.withdraw, ctx);
    case 'recordDeath':
      return recordDeath(plan, bodies.recordDeath, ctx);
    case 'joinCareTeam':
      return joinCareTeam(
        plan,
        state.enrolled !== null,
        { organisation: JOINING, ...bodies.joinCareTeam },
        ctx,
      );
    case 'leaveCareTeam':
      return leaveCareTeam(
        plan,
        state.enrolled && { gpPractice: GP },
        { organisation: RATIFIER_ORG, ...bodies.leaveCareTeam },
        ctx,
      );
  }
};

/** The domain's answer, as a status, for this asker (as they stand by the patient's grants), operation and stored state. */
const decide = (
  asker: Actor,
  breakGlass: string | undefined,
  op: Operation,
  nhs: string,
  state: PatientState,
  grants: readonly GrantRecord[],
): number => {
  const actor = actingFor(asker, nhs, grants, new Date().toISOString());
  if (op.kind === 'enrol') {
    const ctx = {
      actor,
      relationship: relationshipOf(actor, { nhsNumber: nhs, careTeam: [GP] }),
      now: new Date().toISOString(),
      newId: () => 'x',
      publisher: testPublisher,
    };
    const outcome = enrolPatient(profileOf(nhs), ctx);
    if (!outcome.ok) return statusOf(outcome.refusal, 201);
    return state.enrolled ? 409 : 201;
  }
  if (op.kind === 'command') {
    const citizen = refuseOtherCitizens(actor, nhs);
    if (citizen) return statusOf(citizen, 200);
    const ctx: CommandContext = {
      actor,
      relationship: commandRelationship(actor, nhs, op.command, state),
      now: new Date().toISOString(),
      newId: () => 'x',
      publisher: testPublisher,
    };
    const outcome = decideCommand(op.command, nhs, state, ctx);
    if (op.command === 'create') return outcome.ok ? 201 : statusOf(outcome.refusal, 201);
    if (withoutIfMatch.includes(op.command)) {
      if (!outcome.ok) return statusOf(outcome.refusal, 200);
      return op.command === 'joinCareTeam' && outcome.events.length > 0 ? 201 : 200;
    }
    const basedOn = state.plan ? (op.fresh ? state.plan.revision : state.plan.revision - 1) : 1;
    return statusOf(commandRefusal(state.plan, basedOn, outcome), 200);
  }
  switch (op.read) {
    case 'demographics':
      return statusOfDecision(readDemographics(actor, nhs, state, breakGlass));
    case 'plan':
    case 'versions':
      return statusOfDecision(readPlan(actor, nhs, state, breakGlass));
    case 'summary': {
      const decision = readPlan(actor, nhs, state, breakGlass);
      return decision.ok && !crisisSummary(decision.value.plan) ? 404 : statusOfDecision(decision);
    }
    case 'accessLog': {
      const decision = readAccessLog(actor, nhs);
      return decision.ok && decision.value.needsEnrolledPatient && !state.enrolled
        ? 404
        : statusOfDecision(decision);
    }
    case 'worklist':
      return statusOfDecision(readWorklist(actor, 'ratifications'));
    case 'breakGlass':
      return statusOfDecision(reviewBreakGlass(actor));
    case 'careTeam':
      return statusOfDecision(readCareTeam(actor, nhs, state));
    case 'carers': {
      const refusal = refuseOtherCitizens(actor, nhs);
      if (refusal) return statusOf(refusal, 200);
      const careTeam = careTeamOf(state.enrolled ?? { careTeam: [] }, state.plan);
      const decision = readCarers(actor, relationshipOf(actor, { nhsNumber: nhs, careTeam }), grants);
      return decision.ok && !state.enrolled ? 404 : statusOfDecision(decision);
    }
    case 'organisationPatients':
      return statusOfDecision(readPatientsOf(actor, GP));
    case 'reviews':
      return statusOfDecision(readWorklist(actor, 'reviews'));
    case 'outcomes':
      return statusOfDecision(readOutcomeReport(actor, undefined));
    case 'search':
      return statusOf(searchPatients(actor), 200);
  }
};

const readPaths: Record<(typeof reads)[number], (nhs: string) => string> = {
  demographics: (nhs) => `/patients/${nhs}`,
  plan: (nhs) => `/patients/${nhs}/plan`,
  summary: (nhs) => `/patients/${nhs}/plan/summary`,
  versions: (nhs) => `/patients/${nhs}/plan/versions`,
  accessLog: (nhs) => `/patients/${nhs}/access-log`,
  worklist: () => '/worklist/ratifications',
  breakGlass: () => '/break-glass-reports',
  careTeam: (nhs) => `/patients/${nhs}/care-team`,
  carers: (nhs) => `/patients/${nhs}/carers`,
  organisationPatients: () => `/organisations/${GP}/patients`,
  reviews: () => '/worklist/reviews',
  outcomes: () => '/reports/outcomes?from=2026-01&to=2026-02',
  // A name no pool patient has: the pool grows past the 50 matches a search may return.
  search: () => '/patients?family=Nobody&birthDate=1940-01-01',
};

const asker: fc.Arbitrary<Asker> = fc.record({
  role: fc.constantFrom(...roles),
  organisation: fc.constantFrom(GP, RATIFIER_ORG, ELSEWHERE),
  breakGlass: fc.boolean(),
  own: fc.boolean(),
  grant: fc.constantFrom(...carerGrants),
});
/** A change; every run also makes every read, which changes nothing but the access log. */
const change: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({
    kind: fc.constant('command' as const),
    command: fc.constantFrom(...(Object.keys(commandPaths) as PlanCommandName[])),
    fresh: fc.boolean(),
  }),
  fc.constant({ kind: 'enrol' as const }),
);
const allReads: Operation[] = reads.map((read) => ({ kind: 'read', read }));

beforeAll(async () => {
  api = await startApi();
}, 60_000);
afterAll(async () => {
  await api?.close();
});

describe('the HTTP answer is the domain decision', () => {
  it('for every role, standing, operation and plan state', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...states), asker, change, async (state, who, op) => {
        const nhs = await patientIn(state);
        const [plan, enrolled, grants] = await Promise.all([
          plans().current(nhs),
          patients().get(nhs),
          carers().grants(nhs),
        ]);
        const actor = actorOf(who, nhs);
        const breakGlass = actor.kind === 'staff' && who.breakGlass ? REASON : undefined;
        const token = tokenOf(actor);
        const headers: Record<string, string> = breakGlass ? { 'Break-Glass': breakGlass } : {};
        const send = (o: Operation) => {
          if (o.kind === 'read') return api.call('GET', readPaths[o.read](nhs), { token, headers });
          if (o.kind === 'enrol')
            return api.call('POST', '/patients', { token, json: profileOf(nhs), headers });
          const [method, path] = commandPaths[o.command];
          const basedOn = plan ? (o.fresh ? plan.revision : plan.revision - 1) : 1;
          if (withoutIfMatch.includes(o.command))
            return api.call(method, `/patients/${nhs}${path}`, { token, json: bodies[o.command], headers });
          return api.call(method, `/patients/${nhs}${path}`, {
            token,
            json: bodies[o.command],
            headers: { ...headers, 'If-Match': `"${basedOn}"` },
          });
        };
        const answers = await Promise.all(allReads.map(send));
        const changed = await send(op);
        // A change makes this patient another state: the next run in this state gets a new one.
        if (changed.status < 300) pool.delete(state);
        const asking = `${who.role}@${actor.kind === 'staff' ? actor.organisation : who.role === 'carer' ? `grant ${who.grant}` : who.own ? 'own' : 'other'}${breakGlass ? ' breaking glass' : ''}`;
        [...allReads, op].forEach((o, i) => {
          const response = i < allReads.length ? answers[i] : changed;
          expect(response?.status, `${asking} ${JSON.stringify(o)} on ${state}: ${response?.text}`).toBe(
            decide(actor, breakGlass, o, nhs, { plan, enrolled }, grants),
          );
        });
      }),
      { numRuns: 300 },
    );
  }, 180_000);
});
