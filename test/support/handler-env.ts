import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, expect } from 'vitest';
import { type DevTokenOptions, ensureDevIssuer, issueDevToken } from '../../local/dev-issuer.ts';
import { captureLogs } from './logs.ts';

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

/**
 * A mocked document client for the handler under test, reset before every test; the handler's
 * log lines are captured and, after every test, checked for the patient's personal data.
 */
export const mockedStore = (env: { cleanup(): void }, personal: readonly string[]) => {
  const ddb = mockClient(DynamoDBDocumentClient);
  let logs: ReturnType<typeof captureLogs>;
  beforeEach(() => {
    ddb.reset();
    logs = captureLogs();
  });
  afterEach(() => {
    logs.restore();
    expect(logs.containing([...personal])).toEqual([]);
  });
  afterAll(() => {
    ddb.restore();
    env.cleanup();
  });
  return {
    ddb,
    /** What the handler logged during the current test. */
    logs: () => logs,
    /** The SDK commands the handler sent, in order. */
    commandNames: () => ddb.calls().map((call) => (call.args[0] as object).constructor.name),
  };
};
