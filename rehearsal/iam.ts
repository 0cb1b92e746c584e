import { runSimulation } from '@cloud-copilot/iam-simulate';
import { account, type Json, ofType, type ResolvedStack } from './template.ts';

/**
 * The IAM proof: every AWS call the rehearsal sees a function make (its SDK calls, and what AWS
 * does with its role on its behalf: log writes, stream reads, the KMS use behind an encrypted
 * table or bucket, dead-letter sends) is evaluated with a real IAM policy simulator
 * (@cloud-copilot/iam-simulate) against that function's role policies and the resource's own
 * policy, both from the template. Calls by AWS services (API Gateway and EventBridge invoking a
 * function, EventBridge dead-lettering to a queue) are evaluated against the resource policies.
 */

type Policy = { Version?: string; Statement: Json[] };

/** Who makes a call: a function's role, or an AWS service acting for a resource of the stack. */
export type Caller =
  | { kind: 'role'; function: string; roleArn: string }
  | { kind: 'service'; service: string };

export type AwsCall = {
  caller: Caller;
  /** `service:Action`, as IAM names it. */
  action: string;
  resource: string;
  /** The condition keys that apply to this request, beyond the global ones added here. */
  context?: Record<string, string | string[]>;
  /** Why the call was made, for the report: `sdk` (the function's code) or what AWS did. */
  via: string;
  /** The resource as the report groups it (an object's prefix, a log group's streams), if not `resource`. */
  reportAs?: string;
};

export type Decision = { allowed: boolean; result: string; errors?: string };

type Grant = { policy: string; statement: Json; key: string };

/** The IAM side of a function: its role's ARN, name and policies. */
export type RolePolicies = {
  roleArn: string;
  roleName: string;
  policies: { name: string; policy: Policy }[];
};

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Each role's policies from the template: inline, customer managed (AWS::IAM::ManagedPolicy), and AWS::IAM::Policy. */
export function rolePolicies(stack: ResolvedStack): Map<string, RolePolicies> {
  const roles = new Map<string, RolePolicies>();
  for (const [id, role] of ofType(stack, 'AWS::IAM::Role')) {
    const roleName = stack.refOf(id);
    roles.set(roleName, {
      roleArn: stack.attributeOf(id, 'Arn'),
      roleName,
      policies: asList(role.Properties?.Policies).map((p: Json) => ({
        name: `${id}/${p.PolicyName}`,
        policy: p.PolicyDocument,
      })),
    });
  }
  const managedArns = new Map<string, { name: string; policy: Policy }>();
  for (const [id, managed] of ofType(stack, 'AWS::IAM::ManagedPolicy')) {
    const entry = { name: id, policy: managed.Properties?.PolicyDocument as Policy };
    managedArns.set(stack.refOf(id), entry);
    for (const roleName of asList<string>(managed.Properties?.Roles))
      roles.get(roleName)?.policies.push(entry);
  }
  for (const [id, policy] of ofType(stack, 'AWS::IAM::Policy')) {
    for (const roleName of asList<string>(policy.Properties?.Roles))
      roles.get(roleName)?.policies.push({ name: id, policy: policy.Properties?.PolicyDocument });
  }
  for (const [id, role] of ofType(stack, 'AWS::IAM::Role')) {
    for (const arn of asList<string>(role.Properties?.ManagedPolicyArns)) {
      const managed = managedArns.get(arn);
      // An AWS managed policy is not in the template: a call it alone allows would show as denied.
      if (managed) roles.get(stack.refOf(id))?.policies.push(managed);
    }
  }
  return roles;
}

/** Resource policies from the template, by the ARN they protect (objects of a bucket by its ARN). */
function resourcePolicies(stack: ResolvedStack): Map<string, Policy> {
  const policies = new Map<string, Policy>();
  const add = (arn: string, statements: Json[]) => {
    const policy = policies.get(arn) ?? { Version: '2012-10-17', Statement: [] };
    policy.Statement.push(...statements);
    policies.set(arn, policy);
  };
  for (const [id, key] of ofType(stack, 'AWS::KMS::Key'))
    add(stack.attributeOf(id, 'Arn'), asList(key.Properties?.KeyPolicy?.Statement));
  for (const [, queuePolicy] of ofType(stack, 'AWS::SQS::QueuePolicy')) {
    for (const url of asList<string>(queuePolicy.Properties?.Queues)) {
      const queue = stack.logicalIdOf(url);
      if (queue)
        add(stack.attributeOf(queue, 'Arn'), asList(queuePolicy.Properties?.PolicyDocument?.Statement));
    }
  }
  for (const [, bucketPolicy] of ofType(stack, 'AWS::S3::BucketPolicy')) {
    add(
      `arn:aws:s3:::${bucketPolicy.Properties?.Bucket}`,
      asList(bucketPolicy.Properties?.PolicyDocument?.Statement),
    );
  }
  for (const [, busPolicy] of ofType(stack, 'AWS::Events::EventBusPolicy')) {
    const bus = stack.logicalIdOf(String(busPolicy.Properties?.EventBusName ?? 'default'));
    if (bus && busPolicy.Properties?.Statement)
      add(stack.attributeOf(bus, 'Arn'), asList(busPolicy.Properties.Statement));
  }
  for (const [id, permission] of ofType(stack, 'AWS::Lambda::Permission')) {
    const p = permission.Properties ?? {};
    const fnArn = String(p.FunctionName).startsWith('arn:')
      ? String(p.FunctionName)
      : `arn:aws:lambda:${stack.region}:${account}:function:${p.FunctionName}`;
    const principal = String(p.Principal);
    const condition: Json = {};
    if (p.SourceArn) condition.ArnLike = { 'aws:SourceArn': p.SourceArn };
    if (p.SourceAccount) condition.StringEquals = { 'aws:SourceAccount': p.SourceAccount };
    add(fnArn, [
      {
        Sid: id,
        Effect: 'Allow',
        Principal: principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: principal },
        Action: p.Action,
        Resource: fnArn,
        ...(Object.keys(condition).length > 0 && { Condition: condition }),
      },
    ]);
  }
  return policies;
}

/** The policy that protects `resource`: its own, or its bucket's for an object. */
const policyFor = (policies: Map<string, Policy>, resource: string): Policy | undefined => {
  const bucket = /^arn:aws:s3:::([^/]+)/.exec(resource)?.[1];
  return policies.get(resource) ?? (bucket ? policies.get(`arn:aws:s3:::${bucket}`) : undefined);
};

/** Actions a statement grants, as written (wildcards kept): the report names them as the template does. */
const actionsOf = (statement: Json): string[] => asList<string>(statement.Action);

const actionMatches = (pattern: string, action: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  ).test(action);

export type Denial = AwsCall & Decision;

/** One distinct call seen, how often, and the statements (by key) that allowed it. */
export type CallRecord = { call: AwsCall; count: number; grants: string[] };

/** The same call seen by several rehearsals counts once, with their counts added. */
const mergeRecords = (records: CallRecord[]): CallRecord[] => {
  const merged = new Map<string, CallRecord>();
  for (const record of records) {
    const { caller, action, resource, via } = record.call;
    const key = JSON.stringify([caller, action, resource, via]);
    const found = merged.get(key);
    if (found) found.count += record.count;
    else merged.set(key, { ...record });
  }
  return [...merged.values()];
};

export type RoleReport = {
  function: string;
  role: string;
  /** `action on resource` pairs the story made under this role, with how many times. */
  used: { action: string; resource: string; via: string; count: number }[];
  /** Granted by the template but never used by the story: each statement's unused actions. */
  unused: { policy: string; sid: string | undefined; actions: string[]; resources: string[] }[];
};

/**
 * Evaluates calls as they happen (a denied call is answered AccessDenied, as AWS would) and keeps
 * what it saw for the report. Identical requests are evaluated once.
 */
export class IamProof {
  private readonly roles: Map<string, RolePolicies>;
  private readonly resources: Map<string, Policy>;
  private readonly cache = new Map<string, Promise<Decision & { grants: Grant[] }>>();
  private readonly seen = new Map<string, { call: AwsCall; count: number; grants: Grant[] }>();
  readonly denials: Denial[] = [];
  private readonly region: string;

  constructor(stack: ResolvedStack) {
    this.roles = rolePolicies(stack);
    this.resources = resourcePolicies(stack);
    this.region = stack.region;
  }

  roleNameOf(roleArn: string): string {
    return roleArn.replace(/^.*:role\//, '');
  }

  async authorize(call: AwsCall): Promise<Decision> {
    const key = JSON.stringify([call.caller, call.action, call.resource, call.context ?? {}]);
    let pending = this.cache.get(key);
    if (!pending) {
      pending = this.simulate(call);
      this.cache.set(key, pending);
    }
    const decision = await pending;
    // Recorded without its condition values (they may name recipients) and under its report name.
    const { reportAs, context: _values, ...rest } = call;
    const reported: AwsCall = { ...rest, resource: reportAs ?? call.resource };
    const seenKey = JSON.stringify([call.caller, call.action, reported.resource, call.via]);
    const entry = this.seen.get(seenKey) ?? { call: reported, count: 0, grants: decision.grants };
    entry.count += 1;
    this.seen.set(seenKey, entry);
    if (!decision.allowed)
      this.denials.push({
        ...call,
        allowed: false,
        result: decision.result,
        ...(decision.errors && { errors: decision.errors }),
      });
    return {
      allowed: decision.allowed,
      result: decision.result,
      ...(decision.errors && { errors: decision.errors }),
    };
  }

  private async simulate(call: AwsCall): Promise<Decision & { grants: Grant[] }> {
    const now = new Date();
    const global: Record<string, string | string[]> = {
      'aws:SecureTransport': 'true',
      'aws:CurrentTime': now.toISOString(),
      'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
      'aws:RequestedRegion': this.region,
    };
    let principal: string;
    let identityPolicies: { name: string; policy: Policy }[] = [];
    if (call.caller.kind === 'role') {
      const roleName = this.roleNameOf(call.caller.roleArn);
      const role = this.roles.get(roleName);
      if (!role) return { allowed: false, result: `no role ${roleName} in the template`, grants: [] };
      principal = `arn:aws:sts::${account}:assumed-role/${roleName}/${call.caller.function}`;
      identityPolicies = role.policies;
      Object.assign(global, {
        'aws:PrincipalArn': role.roleArn,
        'aws:PrincipalAccount': account,
        'aws:PrincipalType': 'AssumedRole',
      });
    } else {
      principal = call.caller.service;
      Object.assign(global, { 'aws:SourceAccount': account });
    }
    const resourcePolicy = policyFor(this.resources, call.resource);
    const response = await runSimulation(
      {
        request: {
          principal,
          action: call.action,
          resource: { resource: call.resource, accountId: account },
          contextVariables: { ...global, ...call.context },
        },
        identityPolicies,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(resourcePolicy && { resourcePolicy }),
      },
      {},
    );
    if (response.resultType === 'error')
      return { allowed: false, result: 'NotSimulated', errors: JSON.stringify(response.errors), grants: [] };
    const result = response.resultType === 'single' ? response.result : undefined;
    const grants: Grant[] = (result?.analysis?.identityAnalysis?.allowStatements ?? []).map(
      (s: { policyId?: string; statement: Json }) => ({
        policy: s.policyId ?? '',
        statement: s.statement,
        key: JSON.stringify([s.policyId, s.statement]),
      }),
    );
    return { allowed: response.overallResult === 'Allowed', result: response.overallResult, grants };
  }

  /** What it saw, to be added up with other rehearsals' (one per test file) for the report. */
  records(): CallRecord[] {
    return [...this.seen.values()].map(({ call, count, grants }) => ({
      call,
      count,
      grants: grants.map((g) => g.key),
    }));
  }

  /** Per function role: what the story used, and what the template grants that it never used. */
  report(functionsByRole: Map<string, string>, records: CallRecord[] = this.records()): RoleReport[] {
    const reports: RoleReport[] = [];
    const seen = mergeRecords(records);
    for (const [roleName, role] of this.roles) {
      const fn = functionsByRole.get(roleName);
      if (!fn) continue;
      const calls = seen.filter(
        (s) => s.call.caller.kind === 'role' && this.roleNameOf(s.call.caller.roleArn) === roleName,
      );
      const usedByStatement = new Map<string, Set<string>>();
      for (const { call, grants } of calls) {
        for (const grant of grants) {
          const set = usedByStatement.get(grant) ?? new Set<string>();
          set.add(call.action);
          usedByStatement.set(grant, set);
        }
      }
      const unused: RoleReport['unused'] = [];
      for (const { name, policy } of role.policies) {
        for (const statement of asList<Json>(policy.Statement)) {
          if (statement.Effect !== 'Allow') continue;
          const used = usedByStatement.get(JSON.stringify([name, statement])) ?? new Set<string>();
          const never = actionsOf(statement).filter((a) => ![...used].some((u) => actionMatches(a, u)));
          if (never.length > 0)
            unused.push({
              policy: name,
              sid: statement.Sid,
              actions: never,
              resources: asList(statement.Resource),
            });
        }
      }
      reports.push({
        function: fn,
        role: roleName,
        used: calls
          .map(({ call, count }) => ({ action: call.action, resource: call.resource, via: call.via, count }))
          .sort((a, b) => a.action.localeCompare(b.action)),
        unused,
      });
    }
    return reports.sort((a, b) => a.function.localeCompare(b.function));
  }

  /** Calls by AWS services (invocations, dead letters), for the report. */
  serviceCalls(
    records: CallRecord[] = this.records(),
  ): { service: string; action: string; resource: string; via: string; count: number }[] {
    return mergeRecords(records)
      .filter((s) => s.call.caller.kind === 'service')
      .map(({ call, count }) => ({
        service: (call.caller as { service: string }).service,
        action: call.action,
        resource: call.resource,
        via: call.via,
        count,
      }));
  }
}
