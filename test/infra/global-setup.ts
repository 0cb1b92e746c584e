import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureDevIssuer } from '../../local/dev-issuer.ts';
import { citizenIssuer, type SharedSynth, shareable, staffIssuer, synthesise } from './synth.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    awsSynth: SharedSynth;
    localStackSynth: SharedSynth;
  }
}

/**
 * Both bundled targets, synthesised once for the whole run in the main process, where no test or
 * hook timeout applies, and shared with the infra suites (`inject`). The LocalStack target trusts
 * the dev issuer of a throw-away DATA_DIR, passed in as `npm run deploy:local` passes that of .data/.
 */
export default function setup(project: TestProject) {
  const dataDir = mkdtempSync(join(tmpdir(), 'ucp-data-'));
  const aws = synthesise({
    trustedIssuers: JSON.stringify([staffIssuer, citizenIssuer]),
    allowedOrigins: 'https://app.test,https://admin.test',
    senderAddress: 'care-plans@nhs.test',
  });
  const localStack = synthesise(
    { target: 'localstack' },
    { env: { TRUSTED_ISSUERS: JSON.stringify(ensureDevIssuer(dataDir).trustedIssuers) } },
  );
  project.provide('awsSynth', shareable(aws));
  project.provide('localStackSynth', shareable(localStack));
  return () => {
    aws.cleanup();
    localStack.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
