import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, readConfig } from '../../infra/config.ts';
import { citizenIssuer, logicalIdAt, type Synthesised, staffIssuer, synthesise } from './synth.ts';

const issuers = JSON.stringify([staffIssuer, citizenIssuer]);
const from =
  (context: Record<string, unknown>) =>
  (key: string): unknown =>
    context[key];

describe('readConfig', () => {
  it('runs a dev stage on defaults, in London', () => {
    const config = readConfig(from({}), {});
    expect(config).toMatchObject({
      stage: 'dev',
      target: 'aws',
      region: 'eu-west-2',
      trustedIssuers: undefined,
      allowedOrigins: ['http://localhost:5173'],
      auditRetentionDays: 2922,
      auditLockMode: 'GOVERNANCE',
      logRetention: 30,
      logLevel: 'INFO',
      throttle: { rateLimit: 50, burstLimit: 100 },
    });
  });

  it('reads context before the environment', () => {
    const config = readConfig(from({ allowedOrigins: 'https://a.test' }), {
      ALLOWED_ORIGINS: 'https://b.test',
      SENDER_ADDRESS: 'sender@nhs.test',
      AUDIT_RETENTION_DAYS: '3650',
      POWERTOOLS_LOG_LEVEL: 'warn',
    });
    expect(config).toMatchObject({
      allowedOrigins: ['https://a.test'],
      senderAddress: 'sender@nhs.test',
      auditRetentionDays: 3650,
      logLevel: 'WARN',
    });
  });

  it('refuses to default the issuers, origins, sender or custodian outside dev', () => {
    const prod: Record<string, string> = {
      stage: 'prod',
      trustedIssuers: issuers,
      allowedOrigins: 'https://a.test',
      senderAddress: 'a@b.test',
      custodianOds: 'X26',
    };
    expect(readConfig(from(prod), {})).toMatchObject({
      stage: 'prod',
      auditLockMode: 'COMPLIANCE',
      logRetention: 731,
    });
    for (const key of ['trustedIssuers', 'allowedOrigins', 'senderAddress', 'custodianOds']) {
      const { [key]: _, ...without } = prod;
      expect(() => readConfig(from(without), {}), key).toThrow(
        new RegExp(`${key} is required outside the dev stage`),
      );
    }
  });

  it.each([
    [{ trustedIssuers: 'not json' }, /not valid JSON/],
    [
      { trustedIssuers: JSON.stringify([{ ...staffIssuer, jwksUri: 'http://plain.test' }]) },
      /jwksUri \(https\)/,
    ],
    [{ trustedIssuers: '[]' }, /JSON array/],
    [{ allowedOrigins: 'https://a.test/path' }, /not an origin/],
    [{ allowedOrigins: '*' }, /not an origin/],
    [{ senderAddress: 'nobody' }, /email address/],
    [{ auditRetentionDays: '0' }, /whole number/],
    [{ logRetentionDays: '45' }, /CloudWatch's/],
    [{ target: 'azure' }, /target must be one of/],
    [{ stage: 'Prod!' }, /stage must be/],
    [{ previousSigningKeys: 'alias/old-key' }, /previousSigningKeys: "alias\/old-key" is not a KMS key ARN/],
  ])('rejects %j', (context, message) => {
    expect(() => readConfig(from(context), {})).toThrow(ConfigError);
    expect(() => readConfig(from(context), {})).toThrow(message);
  });

  it('on LocalStack, asks for the issuers rather than making keys at synth', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ucp-issuer-'));
    try {
      expect(() => readConfig(from({ target: 'localstack' }), { DATA_DIR: dataDir })).toThrow(
        /trustedIssuers is required on LocalStack: TRUSTED_ISSUERS="\$\(node local\/dev-issuers.ts\)"/,
      );
      expect(readdirSync(dataDir)).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('on LocalStack, trusts the dev issuer that local/dev-issuers.ts prints for DATA_DIR', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ucp-issuer-'));
    try {
      const printed = execFileSync(process.execPath, ['local/dev-issuers.ts'], {
        env: { ...process.env, DATA_DIR: dataDir },
        encoding: 'utf8',
      });
      const config = readConfig(from({ target: 'localstack' }), { TRUSTED_ISSUERS: printed });
      const trusted = JSON.parse(config.trustedIssuers ?? '[]');
      expect(trusted.map((i: { issuer: string }) => i.issuer)).toEqual([
        'urn:ucp:dev-issuer:staff',
        'urn:ucp:dev-issuer:citizen',
      ]);
      expect(trusted[0].jwks.keys).toHaveLength(1);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('infra/', () => {
  it('imports nothing of the one-machine runtime (local/): a synth only reads configuration', () => {
    const files = readdirSync('infra', { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.ts'),
    );
    expect(files).toContain('config.ts');
    for (const file of files) {
      expect(readFileSync(join('infra', file), 'utf8'), file).not.toMatch(/from '(\.\.\/)+local\//);
    }
  });
});

describe('a dev synth without issuers', () => {
  let synth: Synthesised;
  beforeAll(() => {
    synth = synthesise({}, { bundle: false });
  });
  afterAll(() => synth?.cleanup());

  it('asks for them as a deploy-time parameter rather than deploying without', () => {
    expect(synth.json.Parameters.TrustedIssuers).toMatchObject({ Type: 'String', MinLength: 2 });
    const patients = synth.json.Resources[logicalIdAt(synth, 'Functions/Patients/Function')]?.Properties;
    expect(patients.Environment.Variables.TRUSTED_ISSUERS).toEqual({ Ref: 'TrustedIssuers' });
  });
});

describe('a production stage', () => {
  const previousKey = 'arn:aws:kms:eu-west-2:111122223333:key/0d2c3a4b-5e6f-4a1b-8c9d-0e1f2a3b4c5d';
  let synth: Synthesised;
  beforeAll(() => {
    synth = synthesise(
      {
        stage: 'prod',
        trustedIssuers: issuers,
        allowedOrigins: 'https://app.nhs.test',
        senderAddress: 'care-plans@nhs.test',
        serviceUrl: 'https://app.nhs.test',
        custodianOds: 'X26',
        auditRetentionDays: '3653',
        previousSigningKeys: previousKey,
      },
      { bundle: false },
    );
  });
  afterAll(() => synth?.cleanup());

  it('keeps and protects the table and its key', () => {
    const tableId = logicalIdAt(synth, 'Data/Table');
    const tableResource = synth.json.Resources[tableId];
    expect(tableResource?.DeletionPolicy).toBe('Retain');
    expect(tableResource?.Properties.Replicas[0].DeletionProtectionEnabled).toBe(true);
    expect(synth.json.Resources[logicalIdAt(synth, 'Data/Key')]?.DeletionPolicy).toBe('Retain');
  });

  it('locks the audit archive in compliance mode for the configured retention', () => {
    const bucket = synth.json.Resources[logicalIdAt(synth, 'AuditArchive/Bucket')]?.Properties;
    expect(bucket.ObjectLockConfiguration.Rule.DefaultRetention).toEqual({ Mode: 'COMPLIANCE', Days: 3653 });
  });

  it('keeps logs for two years and points messages at the configured service URL', () => {
    for (const [, group] of Object.entries(synth.json.Resources).filter(
      ([, r]) => r.Type === 'AWS::Logs::LogGroup',
    )) {
      expect(group.Properties.RetentionInDays).toBe(731);
      expect(group.DeletionPolicy).toBe('Retain');
    }
    const notifications =
      synth.json.Resources[logicalIdAt(synth, 'Functions/Notifications/Function')]?.Properties;
    expect(notifications.Environment.Variables.SERVICE_URL).toBe('https://app.nhs.test');
  });

  it('keeps its signing key, and still publishes the key it replaced without letting anyone sign with it', () => {
    expect(synth.json.Resources[logicalIdAt(synth, 'Signing/Key')]?.DeletionPolicy).toBe('Retain');
    const tokens = synth.json.Resources[logicalIdAt(synth, 'Functions/Tokens/Function')]?.Properties;
    expect(tokens.Environment.Variables.PREVIOUS_SIGNING_KEYS).toBe(previousKey);
    const statements = synth.json.Resources[logicalIdAt(synth, 'Functions/Tokens/Role/Policy')]?.Properties
      .PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[];
    const on = (action: string) =>
      statements.filter((s) => [s.Action].flat().includes(action)).flatMap((s) => [s.Resource].flat());
    expect(on('kms:GetPublicKey')).toContain(previousKey);
    expect(JSON.stringify(on('kms:Sign'))).not.toContain(previousKey);
  });

  it('is named for its stage', () => {
    expect(synth.stack.stackName).toBe('UrgentCarePlans-prod');
    synth.template.hasResourceProperties('AWS::Events::EventBus', { Name: 'urgent-care-plans-prod' });
  });
});
