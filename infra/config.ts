import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/**
 * Everything a deployment may vary, read once from CDK context (`-c key=value` or cdk.json)
 * and then the environment, in that order; the README's "Deploying" section lists them.
 */
export type Target = 'aws' | 'localstack';

/** The shape the functions read from `TRUSTED_ISSUERS` (functions/platform/identity.ts). */
export type TrustedIssuerConfig = {
  kind: 'staff' | 'citizen';
  issuer: string;
  audience: string;
  jwksUri: string;
  jwks?: unknown;
};

export type ServiceConfig = {
  /** `dev` stages may be destroyed; every other stage keeps its data (retain, deletion protection). */
  stage: string;
  target: Target;
  /** The AWS region (a table with a customer-managed key cannot be region-agnostic). */
  region: string;
  /** The account, when the CLI knows it (CDK_DEFAULT_ACCOUNT); otherwise resolved at deploy. */
  account: string | undefined;
  /** The JSON for `TRUSTED_ISSUERS`; undefined: the stack asks for it as a deploy-time parameter. */
  trustedIssuers: string | undefined;
  allowedOrigins: string[];
  /** Object Lock default retention of each archived event, in days. */
  auditRetentionDays: number;
  /** COMPLIANCE: nobody can shorten or remove it, not even root; GOVERNANCE: a privileged role can. */
  auditLockMode: 'COMPLIANCE' | 'GOVERNANCE';
  logRetention: RetentionDays;
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  senderAddress: string;
  /** Where notification messages send people; undefined: the API's own URL. */
  serviceUrl: string | undefined;
  /** ODS code of the organisation running the service: the custodian of its record-locator pointers. */
  custodianOds: string;
  /** How long a signed crisis summary is valid for, in hours (1 to 168). */
  signedSummaryHours: number;
  /**
   * ARNs of KMS keys that signed before the stack's signing key: their public keys stay published
   * (`/.well-known/jwks.json`) until what they signed has expired (docs/design.md).
   */
  previousSigningKeys: string[];
  /** The `aud` of host systems' assertions, and the `iss` and `aud` of the service's own tokens. */
  serviceIdentifier: string;
  throttle: { rateLimit: number; burstLimit: number };
  /** p99 latency, in milliseconds, above which the API latency alarm fires. */
  latencyAlarmMs: number;
  /** How long the bus archive keeps events for replay, in days. */
  eventArchiveDays: number;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Source = { context: (key: string) => unknown; env: Record<string, string | undefined> };

/** One setting: its context key, its environment variable, and the value when neither is set. */
const read = ({ context, env }: Source, key: string, envName: string): string | undefined => {
  const fromContext = context(key);
  if (fromContext !== undefined && fromContext !== null && fromContext !== '') {
    return typeof fromContext === 'string' ? fromContext : JSON.stringify(fromContext);
  }
  const fromEnv = env[envName];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
};

const whole = (raw: string | undefined, name: string, fallback: number, min = 1): number => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name} must be a whole number from ${min}`);
  return n;
};

const oneOf = <T extends string>(
  raw: string | undefined,
  name: string,
  values: readonly T[],
  fallback: T,
): T => {
  if (raw === undefined) return fallback;
  if (!values.includes(raw as T)) throw new ConfigError(`${name} must be one of ${values.join(', ')}`);
  return raw as T;
};

const logRetentions = Object.values(RetentionDays).filter((v): v is RetentionDays => typeof v === 'number');

const issuersJson = (raw: string): string => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('trustedIssuers (TRUSTED_ISSUERS) is not valid JSON');
  }
  const valid =
    Array.isArray(parsed) &&
    parsed.length > 0 &&
    parsed.every(
      (i: Partial<TrustedIssuerConfig>) =>
        (i.kind === 'staff' || i.kind === 'citizen') &&
        typeof i.issuer === 'string' &&
        typeof i.audience === 'string' &&
        typeof i.jwksUri === 'string' &&
        /^https:\/\//.test(i.jwksUri),
    );
  if (!valid) {
    throw new ConfigError(
      'trustedIssuers (TRUSTED_ISSUERS) must be a JSON array of {kind: "staff"|"citizen", issuer, audience, jwksUri (https)}',
    );
  }
  return JSON.stringify(parsed);
};

const kmsKeyArn = /^arn:aws[\w-]*:kms:[a-z]{2}(-[a-z]+)+-\d:\d{12}:key\/[\w-]+$/;
const kmsKeyArns = (raw: string | undefined): string[] => {
  const arns = (raw ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  for (const arn of arns) {
    if (!kmsKeyArn.test(arn))
      throw new ConfigError(
        `previousSigningKeys: "${arn}" is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)`,
      );
  }
  return arns;
};

const identifier = (raw: string): string => {
  if (!/^[\w:./-]{3,200}$/.test(raw))
    throw new ConfigError(
      'serviceIdentifier must be 3 to 200 letters, digits and : . / - _ (e.g. urgent-care-plans)',
    );
  return raw;
};

/**
 * Reads and checks the configuration. Outside `dev` stages the issuers, origins and sender
 * must be given: a production stack never runs on a default.
 */
export function readConfig(
  context: (key: string) => unknown,
  env: Record<string, string | undefined>,
): ServiceConfig {
  const source = { context, env };
  const get = (key: string, envName: string) => read(source, key, envName);
  const stage = get('stage', 'STAGE') ?? 'dev';
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(stage)) {
    throw new ConfigError(
      'stage must be lower-case letters, digits and "-", at most 20, starting with a letter',
    );
  }
  const target = oneOf(get('target', 'DEPLOY_TARGET'), 'target', ['aws', 'localstack'] as const, 'aws');
  const isDev = stage === 'dev';
  // London unless told otherwise (not the CLI profile's default region): patient data stays in the UK.
  const region = get('region', 'AWS_REGION') ?? 'eu-west-2';
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region))
    throw new ConfigError(`region "${region}" is not an AWS region`);
  const required = (key: string, envName: string, devDefault: string): string => {
    const value = get(key, envName);
    if (value !== undefined) return value;
    if (isDev) return devDefault;
    throw new ConfigError(`${key} is required outside the dev stage: set -c ${key}=... or ${envName}`);
  };

  const rawIssuers = get('trustedIssuers', 'TRUSTED_ISSUERS');
  if (rawIssuers === undefined && !isDev) {
    throw new ConfigError(
      'trustedIssuers is required outside the dev stage: set -c trustedIssuers=... or TRUSTED_ISSUERS',
    );
  }
  // LocalStack trusts the one-machine dev issuer, so `npm run token` tokens work against it: its
  // keys are made by an explicit step before the synth (npm run synth:localstack, deploy:local).
  if (rawIssuers === undefined && target === 'localstack') {
    throw new ConfigError(
      'trustedIssuers is required on LocalStack: TRUSTED_ISSUERS="$(node local/dev-issuers.ts)" gives the dev issuer of DATA_DIR (npm run synth:localstack and deploy:local do this)',
    );
  }
  const trustedIssuers = rawIssuers !== undefined ? issuersJson(rawIssuers) : undefined;

  const allowedOrigins = required('allowedOrigins', 'ALLOWED_ORIGINS', 'http://localhost:5173')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of allowedOrigins) {
    if (!/^https?:\/\/[^/\s*]+$/.test(origin)) {
      throw new ConfigError(
        `allowedOrigins: "${origin}" is not an origin (scheme://host[:port], no path, no *)`,
      );
    }
  }

  const senderAddress = required('senderAddress', 'SENDER_ADDRESS', 'urgent-care-plans@example.com');
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(senderAddress)) {
    throw new ConfigError('senderAddress (SENDER_ADDRESS) must be an email address');
  }

  const custodianOds = required('custodianOds', 'CUSTODIAN_ODS', 'UCPDEV');
  if (!/^[A-Z0-9]{3,10}$/.test(custodianOds)) {
    throw new ConfigError(
      'custodianOds (CUSTODIAN_ODS) must be an ODS code: 3 to 10 capital letters and digits',
    );
  }

  const logRetention = whole(
    get('logRetentionDays', 'LOG_RETENTION_DAYS'),
    'logRetentionDays',
    isDev ? 30 : 731,
  );
  if (!logRetentions.includes(logRetention)) {
    throw new ConfigError(`logRetentionDays must be one of CloudWatch's: ${logRetentions.join(', ')}`);
  }

  return {
    stage,
    target,
    region,
    account: env.CDK_DEFAULT_ACCOUNT || undefined,
    trustedIssuers,
    allowedOrigins,
    // Eight years: the NHS records code's minimum for adult records and their audit trail.
    auditRetentionDays: whole(get('auditRetentionDays', 'AUDIT_RETENTION_DAYS'), 'auditRetentionDays', 2922),
    auditLockMode: oneOf(
      get('auditLockMode', 'AUDIT_LOCK_MODE')?.toUpperCase(),
      'auditLockMode',
      ['COMPLIANCE', 'GOVERNANCE'] as const,
      isDev ? 'GOVERNANCE' : 'COMPLIANCE',
    ),
    logRetention: logRetention as RetentionDays,
    logLevel: oneOf(
      get('logLevel', 'POWERTOOLS_LOG_LEVEL')?.toUpperCase(),
      'logLevel',
      ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const,
      'INFO',
    ),
    senderAddress,
    serviceUrl: get('serviceUrl', 'SERVICE_URL'),
    custodianOds,
    signedSummaryHours: (() => {
      const hours = whole(get('signedSummaryHours', 'SIGNED_SUMMARY_HOURS'), 'signedSummaryHours', 24);
      if (hours > 168) throw new ConfigError('signedSummaryHours must be at most 168 (a week)');
      return hours;
    })(),
    previousSigningKeys: kmsKeyArns(get('previousSigningKeys', 'PREVIOUS_SIGNING_KEYS')),
    serviceIdentifier: identifier(get('serviceIdentifier', 'SERVICE_IDENTIFIER') ?? 'urgent-care-plans'),
    throttle: {
      rateLimit: whole(get('throttleRate', 'THROTTLE_RATE'), 'throttleRate', 50),
      burstLimit: whole(get('throttleBurst', 'THROTTLE_BURST'), 'throttleBurst', 100),
    },
    latencyAlarmMs: whole(get('latencyAlarmMs', 'LATENCY_ALARM_MS'), 'latencyAlarmMs', 2000),
    eventArchiveDays: whole(get('eventArchiveDays', 'EVENT_ARCHIVE_DAYS'), 'eventArchiveDays', 365),
  };
}
