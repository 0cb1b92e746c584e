import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { type ApiEventInput, apiEvent, lambdaContext } from '../local/api-gateway.ts';
import { ensureDevIssuer, issueDevToken } from '../local/dev-issuer.ts';
import { ensureTable, localDynamoClientConfig, startDynamo } from '../local/dynamo.ts';

export type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * The handlers in this process against a fresh in-memory dynalite, with no stream attached: what
 * one Lambda invocation does, and nothing else.
 */
export const startHandlers = async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ucp-bench-'));
  const dynamo = await startDynamo();
  const tableName = 'urgent-care-plans-bench';
  Object.assign(process.env, {
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    AWS_REGION: 'eu-west-2',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    TRUSTED_ISSUERS: JSON.stringify(ensureDevIssuer(dataDir).trustedIssuers),
    SIGNING_KEY_FILE: join(dataDir, 'signing', 'service.key.pem'),
    API_URL: 'http://127.0.0.1:3000',
    CUSTODIAN_ODS: 'LOCAL',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  const admin = new DynamoDBClient(localDynamoClientConfig(dynamo.endpoint));
  await ensureTable(admin, tableName);
  admin.destroy();
  const load = async (entry: string): Promise<Handler> =>
    (await import(`../functions/http/${entry}.ts`)).handler;
  return {
    dataDir,
    endpoint: dynamo.endpoint,
    tableName,
    token: (options: Parameters<typeof issueDevToken>[1]) => issueDevToken(dataDir, options),
    handlers: {
      patients: await load('patients'),
      planCommands: await load('plan-commands'),
      summary: await load('summary'),
      planReads: await load('plan-reads'),
    },
    close: () => dynamo.close(),
  };
};

export const call = async (handler: Handler, input: ApiEventInput) => {
  const response = await handler(apiEvent(input), lambdaContext());
  if (response.statusCode >= 300)
    throw new Error(`${input.method} ${input.path}: ${response.statusCode} ${response.body}`);
  return { etag: response.headers?.ETag as string | undefined, body: response.body };
};

/** A patient with a published plan of realistic size, made through the handlers. */
export const publishedPlan = async (env: Awaited<ReturnType<typeof startHandlers>>, nhs: string) => {
  const gp = env.token({ role: 'gp', org: 'A81001', sub: 'dr.patel' });
  const { patients, planCommands } = env.handlers;
  await call(patients, {
    method: 'POST',
    path: '/patients',
    token: gp,
    body: {
      nhsNumber: nhs,
      name: { given: 'Ada', family: 'Byron' },
      birthDate: '1941-02-11',
      postcode: 'SW1A 1AA',
      gpPractice: 'A81001',
    },
  });
  const created = await call(planCommands, {
    method: 'POST',
    path: `/patients/${nhs}/plan`,
    token: gp,
    body: { sections: demoSections },
  });
  await call(planCommands, {
    method: 'POST',
    path: `/patients/${nhs}/plan/ratify`,
    token: gp,
    headers: { 'If-Match': created.etag ?? '' },
  });
  return { gp };
};

export const demoSections = {
  preferences: {
    preferredPlaceOfDeath: { code: 'home', text: 'At home with my cat, in my own bed' },
    homeAccess: 'Key safe by the back door; code from the daughter on 07700 900123',
  },
  aboutMe: {
    whatMattersToMe: 'Being at home with my family; no more hospital admissions; music in the mornings',
  },
  contacts: {
    people: [
      { name: 'Ruth Byron', relationship: 'daughter', role: 'next_of_kin', phone: '07700 900123' },
      { name: 'Community nursing team', role: 'professional', organisation: 'RYX', phone: '020 7946 0000' },
    ],
  },
  clinical: {
    diagnoses: [{ description: 'Metastatic non-small cell lung cancer', primary: true }],
    anticipatoryMedicines: { prescribed: true, location: 'Kitchen drawer, labelled box' },
  },
  cpr: {
    decision: 'dnacpr',
    decisionDate: '2026-11-20',
    decidedBy: { name: 'Dr A Patel', role: 'GP', registration: 'GMC 1234567' },
    discussedWithPatient: true,
    formLocation: 'Purple folder on the fridge',
  },
  treatment: { ceiling: 'comfort', carePriority: 5, recommendations: ['Not for ventilation'] },
  consent: { status: 'given', date: '2026-11-20' },
};
