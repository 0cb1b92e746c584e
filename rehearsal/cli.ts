import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { ensureDevIssuer } from '../local/dev-issuer.ts';
import { dataDirOf } from '../local/instance.ts';
import { type CallRecord, IamProof, type RoleReport } from './iam.ts';
import { type RehearsalRecord, rehearsalEnv } from './rehearsal.ts';
import { account, ofType, readAssembly, resolveStack } from './template.ts';

/**
 * `npm run rehearse [-- -c target=localstack] [test files]`: synthesises the target (or reuses a cloud assembly
 * newer than every source), runs the API story against the rehearsed stack (vitest project
 * `rehearsal`), and reports the IAM proof: every call allowed, and what each role is granted but
 * the story never used. Fails on a failed test, a denied call, a dead letter or a call the
 * rehearsal cannot serve.
 */

const root = fileURLToPath(new URL('..', import.meta.url));

const targetOf = (args: string[]): 'aws' | 'localstack' => {
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    const value = arg === '-c' || arg === '--context' ? args[i + 1] : arg.replace(/^--context=/, '');
    const target = /^target=(.+)$/.exec(value ?? '')?.[1];
    if (target === 'aws' || target === 'localstack') return target;
    if (target) throw new Error(`target must be aws or localstack, not ${target}`);
  }
  return (process.env.DEPLOY_TARGET as 'aws' | 'localstack' | undefined) ?? 'aws';
};

/** Arguments other than `-c key=value`: test file filters, handed to vitest. */
const filtersOf = (args: string[]): string[] =>
  args.filter(
    (arg, i) =>
      !['-c', '--context'].includes(arg) &&
      !['-c', '--context'].includes(args[i - 1] ?? '') &&
      !arg.startsWith('--context='),
  );

/** The newest modification time of anything the synth reads. */
const newestSource = (): number => {
  let newest = 0;
  const visit = (path: string) => {
    const stat = statSync(path);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const path of ['infra', 'functions', 'domain', 'events', 'cdk.json', 'package-lock.json'])
    visit(join(root, path));
  return newest;
};

/** The TRUSTED_ISSUERS a template builds in (LocalStack), if any. */
const builtInIssuers = (assemblyDir: string): string | undefined => {
  const { template } = readAssembly(assemblyDir);
  for (const resource of Object.values(template.Resources)) {
    const value = resource.Properties?.Environment?.Variables?.TRUSTED_ISSUERS;
    if (typeof value === 'string') return value;
  }
  return undefined;
};

function ensureAssembly(target: 'aws' | 'localstack', issuerDir: string): string {
  const assemblyDir = join(root, target === 'aws' ? 'cdk.out' : 'cdk.out/localstack');
  const issuers = JSON.stringify(ensureDevIssuer(issuerDir).trustedIssuers);
  const manifest = join(assemblyDir, 'manifest.json');
  const fresh =
    existsSync(manifest) &&
    statSync(manifest).mtimeMs >= newestSource() &&
    (target === 'aws' || builtInIssuers(assemblyDir) === issuers);
  if (fresh) {
    console.log(`rehearse: reusing ${relative(root, assemblyDir)} (newer than every source)`);
    return assemblyDir;
  }
  console.log(`rehearse: synthesising the ${target} target into ${relative(root, assemblyDir)}`);
  const env = { ...process.env, ...(target === 'localstack' && { TRUSTED_ISSUERS: issuers }) };
  const args =
    target === 'aws'
      ? ['synth', '--quiet']
      : ['synth', '--quiet', '-c', 'target=localstack', '-o', 'cdk.out/localstack'];
  const synth = spawnSync(process.execPath, [join(root, 'node_modules/aws-cdk/bin/cdk'), ...args], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
  if (synth.status !== 0) throw new Error('the synth failed');
  return assemblyDir;
}

/** Granted on a resource where IAM only evaluates `*`: the grant allows nothing as written. */
async function allowsNothing(action: string, resource: string): Promise<boolean> {
  if (resource === '*' || action.includes('*')) return false;
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:iam::${account}:role/probe`,
        action,
        resource: { resource, accountId: account },
        contextVariables: {},
      },
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  return result.resultType === 'error' && JSON.stringify(result.errors).includes('must.use.wildcard');
}

const short = (arn: string) =>
  arn
    .replace(/^arn:aws:[a-z0-9-]+:[a-z0-9-]*:\d*:/, '')
    .replace(/^arn:aws:s3:::/, 's3:::')
    .replace(/log-stream:.*$/, 'log-stream:*');

/** Queues the template sends failures to: a grant on one serves a path a passing story never takes. */
const failureQueues = (stack: ReturnType<typeof resolveStack>): Set<string> => {
  const found = new Set<string>();
  const visit = (value: unknown, key = ''): void => {
    if (
      typeof value === 'string' &&
      /^arn:aws:sqs:/.test(value) &&
      /DeadLetter|OnFailure|Destination/.test(key)
    )
      found.add(value);
    else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) visit(v, /^\d+$/.test(k) ? key : `${key}.${k}`);
  };
  visit(stack.resources);
  return found;
};

async function printReport(
  reports: RoleReport[],
  serviceCalls: ReturnType<IamProof['serviceCalls']>,
  failurePaths: Set<string>,
) {
  for (const report of reports) {
    console.log(`\n${report.function} (role ${report.role})`);
    const used = new Map<string, number>();
    for (const u of report.used) {
      const key = `${u.action} on ${short(u.resource)}${u.via === 'sdk' ? '' : ` (${u.via})`}`;
      used.set(key, (used.get(key) ?? 0) + u.count);
    }
    for (const [call, count] of used) console.log(`  used     ${call} x${count}`);
    for (const u of report.unused) {
      for (const action of u.actions) {
        const resources = u.resources.map(String);
        const nothing = (await Promise.all(resources.map((r) => allowsNothing(action, r)))).every(Boolean);
        const why = nothing
          ? 'allows nothing as written: IAM evaluates this action only on "*"; remove it'
          : resources.every((r) => failurePaths.has(r))
            ? 'keep: a dead-letter or failure destination, used only when deliveries fail'
            : 'never used by the story: remove it, or keep it for a path the story does not take';
        console.log(
          `  unused   ${action} on ${resources.map(short).join(', ')} (${u.sid ?? u.policy}): ${why}`,
        );
      }
    }
  }
  console.log('\nAWS services acting on the stack');
  for (const s of serviceCalls)
    console.log(`  ${s.service} ${s.action} on ${short(s.resource)} (${s.via}) x${s.count}`);
}

async function main(): Promise<number> {
  const target = targetOf(process.argv.slice(2));
  const issuerDir = dataDirOf(process.env);
  const assemblyDir = ensureAssembly(target, issuerDir);
  const out = join(root, 'cdk.out', 'rehearsal');
  mkdirSync(out, { recursive: true });
  const recordFile = join(out, `${target}.jsonl`);
  rmSync(recordFile, { force: true });

  const tests = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules/vitest/vitest.mjs'),
      'run',
      '--project',
      'rehearsal',
      ...filtersOf(process.argv.slice(2)),
    ],
    {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        NO_COLOR: '1',
        [rehearsalEnv.assembly]: assemblyDir,
        [rehearsalEnv.issuerDir]: issuerDir,
        [rehearsalEnv.record]: recordFile,
      },
    },
  );
  const records: RehearsalRecord[] = existsSync(recordFile)
    ? readFileSync(recordFile, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as RehearsalRecord)
    : [];
  const stack = resolveStack(readAssembly(assemblyDir), { TrustedIssuers: '[]' });
  const proof = new IamProof(stack);
  const calls: CallRecord[] = records.flatMap((r) => r.records);
  const functionsByRole = new Map(records.flatMap((r) => r.functionsByRole));
  const reports = proof.report(functionsByRole, calls);
  const unique = <T>(items: T[]) =>
    [...new Set(items.map((i) => JSON.stringify(i)))].map((i) => JSON.parse(i) as T);
  const denials = unique(records.flatMap((r) => r.denials));
  const deadLetters = unique(records.flatMap((r) => r.deadLetters));
  const unsupported = unique(records.flatMap((r) => r.unsupported));
  const functionErrors = unique(records.flatMap((r) => r.functionErrors));
  writeFileSync(
    join(out, `${target}.json`),
    `${JSON.stringify({ target, denials, deadLetters, unsupported, functionErrors, roles: reports }, null, 2)}\n`,
  );
  await printReport(reports, proof.serviceCalls(calls), failureQueues(stack));
  {
    const allowed = calls.reduce((n, c) => n + c.count, 0);
    console.log(
      `\nrehearsal (${target}): ${ofType(stack, 'AWS::Lambda::Function').length} functions, ${allowed} AWS calls evaluated, ${denials.length} denied`,
    );
    for (const d of denials)
      console.log(`  DENIED   ${d.caller}: ${d.action} on ${d.resource} (${d.via}): ${d.result}`);
    for (const d of deadLetters) console.log(`  DEAD LETTER  ${d.where}: ${d.why}`);
    for (const u of unsupported) console.log(`  NOT REHEARSED  ${u}`);
    for (const e of functionErrors) console.log(`  function error  ${e.function}: ${e.line}`);
    console.log(`the full report: ${relative(root, join(out, `${target}.json`))}`);
    const failed =
      tests.status !== 0 ||
      records.length === 0 ||
      denials.length + deadLetters.length + unsupported.length > 0;
    console.log(failed ? `rehearsal (${target}) FAILED` : `rehearsal (${target}) passed`);
    return failed ? 1 : 0;
  }
}

process.exitCode = await main();
