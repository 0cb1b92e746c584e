import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, expect } from 'vitest';
import { type DevTokenOptions, ensureDevIssuer, issueDevToken } from '../../local/dev-issuer.ts';
import { startTestDynamo } from './dynamo.ts';
import { captureLogs } from './logs.ts';
import { dynamoStore } from './store.ts';

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
  process.env.API_URL = 'https://ucp.test';
  process.env.CUSTODIAN_ODS = 'UCP01';
  process.env.SIGNING_KEY_FILE = join(dataDir, 'signing', 'service.key.pem');
  delete process.env.SIGNING_KEY_ID;
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
 * The real ports over a real DynamoDB protocol server (dynalite) for the handlers under test,
 * emptied before every test; the handler's log lines are captured and, after every test, checked
 * for the patient's personal data. `faulty` is the same ports over a second client whose sends
 * pass through to the server unless a test makes one fail (`faults.on(PutCommand).rejects(...)`):
 * for the SDK failures the server cannot be made to give (throttling, lost races).
 * Call it before importing a handler module: it points the environment at the server.
 */
export const realStore = async (env: { cleanup(): void }, personal: readonly string[], name: string) => {
  const db = await startTestDynamo(name);
  process.env.TABLE_NAME = db.tableName;
  process.env.DYNAMODB_ENDPOINT = db.dynamo.endpoint;
  const store = dynamoStore(db.doc, db.tableName);
  const faultyClient = DynamoDBDocumentClient.from(db.client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const faults = mockClient(faultyClient);
  const passThrough = () => {
    faults.reset();
    faults.on(GetCommand).callsFake((input) => db.doc.send(new GetCommand(input)));
    faults.on(PutCommand).callsFake((input) => db.doc.send(new PutCommand(input)));
    faults.on(QueryCommand).callsFake((input) => db.doc.send(new QueryCommand(input)));
  };
  let logs: ReturnType<typeof captureLogs>;
  beforeEach(async () => {
    const { Items = [] } = await db.doc.send(new ScanCommand({ TableName: db.tableName }));
    await Promise.all(
      Items.map((item) =>
        db.client.send(
          new DeleteItemCommand({ TableName: db.tableName, Key: marshall({ pk: item.pk, sk: item.sk }) }),
        ),
      ),
    );
    passThrough();
    db.operations.length = 0;
    logs = captureLogs();
  });
  afterEach(() => {
    logs.restore();
    expect(logs.containing([...personal])).toEqual([]);
  });
  afterAll(async () => {
    faults.restore();
    await db.close();
    env.cleanup();
  });
  return {
    db,
    store,
    faulty: dynamoStore(faultyClient, db.tableName),
    faults,
    /** What the handler logged during the current test. */
    logs: () => logs,
    /** The DynamoDB operations sent on the wire in the current test, e.g. `['Query', 'PutItem']`. */
    operations: () => [...db.operations],
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
