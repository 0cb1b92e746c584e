import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DevTokenOptions, ensureDevIssuer, issueDevToken } from '../../local/dev-issuer.ts';

export const UNIT_TABLE = 'ucp-unit-test';

/**
 * The environment a deployed handler gets, for handler unit tests: set it before the handler
 * module is imported (dynamic import), since the logger and the trusted issuers are read on load
 * or first use. Tokens are real RS256 JWTs from the dev issuer, verified by the real verifier.
 */
export const handlerEnvironment = () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ucp-handlers-'));
  const issuer = ensureDevIssuer(dataDir);
  process.env.TABLE_NAME = UNIT_TABLE;
  process.env.AWS_REGION = 'eu-west-2';
  process.env.AWS_ACCESS_KEY_ID = 'unit';
  process.env.AWS_SECRET_ACCESS_KEY = 'unit';
  process.env.TRUSTED_ISSUERS = JSON.stringify(issuer.trustedIssuers);
  // Everything the handlers log is captured and checked for personal data: log it all.
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  delete process.env.POWERTOOLS_DEV;
  delete process.env.DYNAMODB_ENDPOINT;
  return {
    dataDir,
    token: (options: DevTokenOptions) => issueDevToken(dataDir, options),
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
};
