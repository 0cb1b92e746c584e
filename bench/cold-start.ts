import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import {
  type FunctionName,
  functionBundling,
  projectRoot,
  type Uses,
  uses,
} from '../infra/constructs/functions.ts';
import { median, round } from './stats.ts';

type Template = { Resources: Record<string, { Type: string; Metadata?: Record<string, string> }> };

const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

/** Asset folder of each function in a synthesised template, by function name. */
const assetsByFunction = (outdir: string, template: Template, names: readonly string[]) => {
  const found: Record<string, string> = {};
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const path = resource.Metadata?.['aws:cdk:path'] ?? '';
    const asset = resource.Metadata?.['aws:asset:path'];
    const name = names.find((n) => path.includes(`/${pascal(n)}/Function/Resource`));
    if (name && asset) found[name] = join(outdir, asset, 'index.mjs');
  }
  return found;
};

/**
 * The floor for a function: a module holding only the AWS SDK clients it uses, made the way the
 * function makes them (on first use, with the same settings), and nothing of ours.
 */
const floorSource = (access: Uses): string => {
  const lines: string[] = [];
  const make: string[] = [];
  if (access.table) {
    lines.push("import { DynamoDBClient } from '@aws-sdk/client-dynamodb';");
    lines.push(
      "import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';",
    );
    make.push(
      'DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 3 }), { marshallOptions: { removeUndefinedValues: true } })',
      '[GetCommand, PutCommand, QueryCommand, DeleteCommand]',
    );
  }
  if (access.bus) {
    lines.push("import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';");
    make.push('new EventBridgeClient({})', 'PutEventsCommand');
  }
  if (access.archive) {
    lines.push("import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';");
    make.push('new S3Client({})', 'PutObjectCommand');
  }
  if (access.mail) {
    lines.push("import { SendEmailCommand, SESClient } from '@aws-sdk/client-ses';");
    make.push('new SESClient({})', 'SendEmailCommand');
  }
  if (access.signing) {
    lines.push("import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';");
    make.push('new KMSClient({ maxAttempts: 3 })', '[GetPublicKeyCommand, SignCommand]');
  }
  return `${lines.join('\n')}
let clients;
export const handler = async () => {
  clients ??= [${make.join(', ')}];
  return clients.length;
};
`;
};

/** Module init of a bundle in a fresh Node 24 process, as Lambda loads it: milliseconds. */
const initTime = (file: string): number => {
  const out = execFileSync(
    process.execPath,
    [
      '--enable-source-maps',
      '--input-type=module',
      '-e',
      `const t = performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`,
    ],
    {
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'eu-west-2',
        TABLE_NAME: 'bench',
        POWERTOOLS_SERVICE_NAME: 'urgent-care-plans',
        TRUSTED_ISSUERS: '[]',
      },
    },
  );
  return Number(out.toString());
};

/**
 * Every function's bundle exactly as `cdk synth` builds it, next to its floor built by the same
 * CDK bundling: minified size and module init time (median of `runs` fresh processes).
 */
export const coldStart = (runs: number) => {
  const names = Object.keys(uses) as FunctionName[];
  const outdir = mkdtempSync(join(tmpdir(), 'ucp-bench-synth-'));
  execFileSync(join(projectRoot, 'node_modules/.bin/cdk'), ['synth', '--quiet', '-o', outdir], {
    cwd: projectRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
    // The app runs on this Node (24), as under `npm run`.
    env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` },
  });
  const template = JSON.parse(
    readFileSync(join(outdir, 'UrgentCarePlans-dev.template.json'), 'utf8'),
  ) as Template;
  const bundles = assetsByFunction(outdir, template, names);

  // The floors, as a throwaway CDK app with the stack's own bundling settings.
  // Entries must sit under the project root for NodejsFunction; bench/out/ is ignored by git.
  const floorDir = join(projectRoot, 'bench', 'out', 'floors');
  mkdirSync(floorDir, { recursive: true });
  const app = new App({
    outdir: join(floorDir, 'cdk.out'),
    // What the CLI turns on: construct paths and asset folders in the template's metadata.
    context: { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true },
  });
  const stack = new Stack(app, 'Floors');
  const floorNames = names.filter((n) => Object.keys(uses[n]).length > 0);
  for (const name of floorNames) {
    const entry = join(floorDir, `${name}.mjs`);
    writeFileSync(entry, floorSource(uses[name]));
    const scope = new Construct(stack, pascal(name));
    new NodejsFunction(scope, 'Function', {
      entry,
      projectRoot,
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      bundling: functionBundling,
    });
  }
  const assembly = app.synth();
  const floors: Record<string, string> = {};
  for (const artifact of assembly.stacks) {
    Object.assign(floors, assetsByFunction(assembly.directory, artifact.template as Template, floorNames));
  }

  const kb = (file: string) => round(statSync(file).size / 1024, 1);
  return names.map((name) => {
    const bundle = bundles[name];
    if (!bundle) throw new Error(`no bundle for ${name} in the synthesised template`);
    const floor = floors[name];
    // Bundle and floor take turns, so drift on a busy machine falls on both alike.
    const times = { bundle: [] as number[], floor: [] as number[] };
    for (let i = 0; i < runs; i += 1) {
      times.bundle.push(initTime(bundle));
      if (floor) times.floor.push(initTime(floor));
    }
    const bundleKB = kb(bundle);
    const initMs = round(median(times.bundle), 1);
    if (!floor) {
      // No AWS SDK client: nothing to compare with.
      return {
        function: name,
        bundleKB,
        floorKB: null,
        sizeRatio: null,
        initMs,
        floorInitMs: null,
        initRatio: null,
      };
    }
    const floorKB = kb(floor);
    const floorInitMs = round(median(times.floor), 1);
    return {
      function: name,
      bundleKB,
      floorKB,
      sizeRatio: round(bundleKB / floorKB, 2),
      initMs,
      floorInitMs,
      initRatio: round(initMs / floorInitMs, 2),
    };
  });
};
