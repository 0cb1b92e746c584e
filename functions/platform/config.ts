/**
 * The functions' runtime configuration: every environment variable they read, by name, read once
 * on first use and checked, failing with a message that names it. infra/constructs/functions.ts
 * sets each function's environment by these names. Each setting is read only by the code that uses
 * it, so a function without a variable it does not use still starts; the settings are marked pure so
 * a bundle carries only the ones its function reads.
 */
export const env = {
  TABLE_NAME: 'TABLE_NAME',
  DYNAMODB_ENDPOINT: 'DYNAMODB_ENDPOINT',
  S3_ENDPOINT: 'S3_ENDPOINT',
  AUDIT_BUCKET: 'AUDIT_BUCKET',
  EVENT_BUS_NAME: 'EVENT_BUS_NAME',
  TRUSTED_ISSUERS: 'TRUSTED_ISSUERS',
  ALLOWED_ORIGINS: 'ALLOWED_ORIGINS',
  SENDER_ADDRESS: 'SENDER_ADDRESS',
  SERVICE_URL: 'SERVICE_URL',
  CUSTODIAN_ODS: 'CUSTODIAN_ODS',
  API_URL: 'API_URL',
  SIGNED_SUMMARY_HOURS: 'SIGNED_SUMMARY_HOURS',
  SIGNING_KEY_ID: 'SIGNING_KEY_ID',
  SIGNING_KEY_FILE: 'SIGNING_KEY_FILE',
  PREVIOUS_SIGNING_KEYS: 'PREVIOUS_SIGNING_KEYS',
  SERVICE_IDENTIFIER: 'SERVICE_IDENTIFIER',
  POWERTOOLS_SERVICE_NAME: 'POWERTOOLS_SERVICE_NAME',
  POWERTOOLS_LOG_LEVEL: 'POWERTOOLS_LOG_LEVEL',
} as const;
export type EnvName = keyof typeof env;

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/**
 * A setting: parsed from its variable on first use (`undefined` when unset), then kept. TRUSTED_ISSUERS
 * is one too, in identity.ts beside its check, so only the functions that verify tokens carry that.
 */
export const setting = <T>(name: EnvName, parse: (raw: string | undefined) => T): (() => T) => {
  let value: { parsed: T } | undefined;
  return () => {
    value ??= { parsed: parse(process.env[name] || undefined) };
    return value.parsed;
  };
};

const required =
  (name: EnvName, what: string) =>
  (raw: string | undefined): string => {
    if (raw === undefined) throw new ConfigurationError(`${name} is not set: expected ${what}`);
    return raw;
  };

const url =
  (name: EnvName) =>
  (raw: string | undefined): string | undefined => {
    if (raw !== undefined && !URL.canParse(raw))
      throw new ConfigurationError(`${name} is not a URL: expected e.g. http://127.0.0.1:8000`);
    return raw;
  };

/** The DynamoDB table. */
export const tableName = /* @__PURE__ */ setting(env.TABLE_NAME, required(env.TABLE_NAME, 'the table name'));
/** A local DynamoDB-protocol server (dynalite); unset in AWS. */
export const dynamoEndpoint = /* @__PURE__ */ setting(env.DYNAMODB_ENDPOINT, url(env.DYNAMODB_ENDPOINT));
/** A local S3-protocol server (s3rver); unset in AWS. */
export const s3Endpoint = /* @__PURE__ */ setting(env.S3_ENDPOINT, url(env.S3_ENDPOINT));
/** The audit archive's bucket. */
export const auditBucket = /* @__PURE__ */ setting(
  env.AUDIT_BUCKET,
  required(env.AUDIT_BUCKET, 'the audit archive bucket name'),
);
/** The service's EventBridge bus. */
export const eventBusName = /* @__PURE__ */ setting(
  env.EVENT_BUS_NAME,
  required(env.EVENT_BUS_NAME, 'the name of the event bus'),
);
/** The browser origins allowed (CORS), a comma list; none when unset. */
export const allowedOrigins = /* @__PURE__ */ setting(env.ALLOWED_ORIGINS, (raw) =>
  (raw ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean),
);
/** The address notifications are sent from. */
export const senderAddress = /* @__PURE__ */ setting(
  env.SENDER_ADDRESS,
  required(env.SENDER_ADDRESS, 'the email address notifications are sent from'),
);
/** Where notifications point people: the API's address. */
export const serviceUrl = /* @__PURE__ */ setting(env.SERVICE_URL, (raw) => {
  const value = required(env.SERVICE_URL, 'the address of the API')(raw);
  if (!URL.canParse(value)) throw new ConfigurationError(`${env.SERVICE_URL} is not a URL`);
  return value;
});
/** The API's own base URL (the stage's, on AWS): where record-locator pointers lead. */
export const apiUrl = /* @__PURE__ */ setting(env.API_URL, (raw) => {
  const value = required(env.API_URL, 'the base URL of this API')(raw);
  if (!URL.canParse(value)) throw new ConfigurationError(`${env.API_URL} is not a URL`);
  return value;
});
/** How long a signed crisis summary is valid for, in hours (24 unless set). */
export const signedSummaryHours = /* @__PURE__ */ setting(env.SIGNED_SUMMARY_HOURS, (raw) => {
  if (raw === undefined) return 24;
  const hours = Number(raw);
  if (!Number.isInteger(hours) || hours < 1 || hours > 168)
    throw new ConfigurationError(`${env.SIGNED_SUMMARY_HOURS} must be a whole number of hours from 1 to 168`);
  return hours;
});
/** The ODS code of the organisation that runs the service: the custodian of its record-locator pointers. */
export const custodianOds = /* @__PURE__ */ setting(env.CUSTODIAN_ODS, (raw) => {
  const value = required(env.CUSTODIAN_ODS, 'the ODS code of the organisation running the service')(raw);
  if (!/^[A-Z0-9]{3,10}$/.test(value))
    throw new ConfigurationError(
      `${env.CUSTODIAN_ODS} is not an ODS code: 3 to 10 capital letters and digits`,
    );
  return value;
});
/** The logger's service name (Powertools reads POWERTOOLS_LOG_LEVEL itself). */
export const serviceName = /* @__PURE__ */ setting(
  env.POWERTOOLS_SERVICE_NAME,
  (raw) => raw ?? 'urgent-care-plans',
);

const list = (raw: string | undefined): string[] =>
  (raw ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** The service signing key in AWS: the asymmetric KMS key's id or ARN; unset on one machine. */
export const signingKeyId = /* @__PURE__ */ setting(env.SIGNING_KEY_ID, (raw) => raw);
/** The service signing key on one machine: its PEM file, made on first use; unset in AWS. */
export const signingKeyFile = /* @__PURE__ */ setting(env.SIGNING_KEY_FILE, (raw) => raw);
/**
 * Keys that signed before the current one, still published in the JWKS until what they signed has
 * expired: KMS key ids or ARNs in AWS, key files on one machine (a comma list).
 */
export const previousSigningKeys = /* @__PURE__ */ setting(env.PREVIOUS_SIGNING_KEYS, list);

/**
 * The service's identifier: the `aud` a host system's assertion is for, and the `iss` and `aud` of
 * the tokens the service signs itself.
 */
export const serviceIdentifier = /* @__PURE__ */ setting(
  env.SERVICE_IDENTIFIER,
  (raw) => raw ?? 'urgent-care-plans',
);
