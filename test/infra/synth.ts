import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { projectRoot } from '../../infra/constructs/functions.ts';
import { defineService } from '../../infra/service.ts';
import type { UrgentCarePlanStack } from '../../infra/stack.ts';

/** The context the CDK CLI would pass: cdk.json's feature flags. */
const cdkJsonContext = JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')).context as Record<
  string,
  unknown
>;

export const staffIssuer = {
  kind: 'staff',
  issuer: 'https://issuer.test/staff',
  audience: 'urgent-care-plans',
  jwksUri: 'https://issuer.test/staff/jwks.json',
};
export const citizenIssuer = {
  kind: 'citizen',
  issuer: 'https://issuer.test/citizen',
  audience: 'urgent-care-plans',
  jwksUri: 'https://issuer.test/citizen/jwks.json',
};

/** Parsed template JSON: untyped by nature, so the tests read it as JSON and assert its shape. */
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON has no static type; assertions check it.
export type Json = any;

export type Synthesised = {
  app: App;
  stack: UrgentCarePlanStack;
  stackName: string;
  template: Template;
  /** The raw template JSON, as CloudFormation (or LocalStack) would receive it. */
  json: {
    Resources: Record<string, { Type: string; Properties?: Json; Metadata?: Json; [k: string]: Json }>;
  } & Record<string, Json>;
  outdir: string;
  cleanup(): void;
};

/**
 * Synthesises the app as `cdk synth` would (same flags, same validation plugins: cdk-nag and,
 * for LocalStack, the free-edition check), into a temporary folder. `bundle: false` skips esbuild
 * for tests that only look at configuration-driven properties.
 */
export function synthesise(
  context: Record<string, unknown>,
  options: { env?: Record<string, string | undefined>; bundle?: boolean } = {},
): Synthesised {
  const outdir = mkdtempSync(join(tmpdir(), 'ucp-cdk-'));
  const app = new App({
    outdir,
    context: {
      ...cdkJsonContext,
      // What the CLI adds: construct paths and asset paths in the template's metadata.
      'aws:cdk:enable-path-metadata': true,
      'aws:cdk:enable-asset-metadata': true,
      ...(options.bundle === false && { 'aws:cdk:bundling-stacks': [] }),
      ...context,
    },
  });
  const stack = defineService(app, options.env ?? {});
  const assembly = app.synth();
  const json = assembly.getStackByName(stack.stackName).template;
  return {
    app,
    stack,
    stackName: stack.stackName,
    template: Template.fromJSON(json),
    json,
    outdir,
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/** cdk-nag findings still open after acknowledgements, warnings included: `rule at path` lines. */
export function openFindings(app: App): string[] {
  return [new AwsSolutionsChecks(), new HIPAASecurityChecks()].flatMap((pack) =>
    pack
      .validateScope(app)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`)),
  );
}

/** Every acknowledgement in the app: rule id, reason, and where it was made. */
export function acknowledgements(app: App): { id: string; reason: string; path: string }[] {
  return app.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          id: id.replace(/^[\w.-]+::/, ''),
          reason,
          path: c.node.path,
        })),
      ),
  );
}

/**
 * What the infra suites read of a bundled synthesis: made once per test run by
 * test/infra/global-setup.ts (a bundled synth takes most of a minute on a busy 2-core machine) and
 * handed to each suite, which runs in a worker of its own.
 */
export type SharedSynth = {
  stackName: string;
  json: Synthesised['json'];
  outdir: string;
  openFindings: string[];
  acknowledgements: { id: string; reason: string; path: string }[];
};

export const shareable = (synth: Synthesised): SharedSynth => ({
  stackName: synth.stack.stackName,
  json: synth.json,
  outdir: synth.outdir,
  openFindings: openFindings(synth.app),
  acknowledgements: acknowledgements(synth.app),
});

/** The logical id of the resource a construct path names (e.g. `Functions/Meta/Function`). */
export function logicalIdAt(synth: { stackName: string; json: Synthesised['json'] }, path: string): string {
  const full = `${synth.stackName}/${path}`;
  const found = Object.entries(synth.json.Resources).filter(
    ([, r]) => r.Metadata?.['aws:cdk:path'] === `${full}/Resource` || r.Metadata?.['aws:cdk:path'] === full,
  );
  if (found.length !== 1) throw new Error(`expected one resource at ${full}, found ${found.length}`);
  return (found[0] as [string, unknown])[0];
}
