import {
  ConfigurationError,
  env,
  previousSigningKeys,
  signingKeyFile,
  signingKeyId,
  tableName,
} from './config.ts';
import { documentClient } from './dynamo.ts';
import type {
  Audit,
  Carers,
  Deliveries,
  HostSystems,
  Launches,
  Organisations,
  Patients,
  Plans,
  ServiceSigner,
  Worklists,
} from './ports.ts';
import { keyFileSigner } from './signing/key-file.ts';
import { dynamoAccessRecords, dynamoAudit } from './store/audit.ts';
import { dynamoCarers } from './store/carers.ts';
import { dynamoDeliveries } from './store/deliveries.ts';
import { dynamoHostSystems, dynamoLaunches } from './store/host-systems.ts';
import { dynamoOrganisations } from './store/organisations.ts';
import { dynamoPatients } from './store/patients.ts';
import { dynamoPlans, dynamoRevisions } from './store/plans.ts';
import { dynamoWorklistReader, dynamoWorklists } from './store/worklists.ts';

/**
 * The composition root: the one place the ports (ports.ts) meet their DynamoDB adapters. Each
 * port is made once per process on first use, so tests and the local runtime set the environment
 * first; each is its own export, so a function's bundle carries only the adapters it uses.
 */
const once = <T>(make: () => T): (() => T) => {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
};

export const patients = /* @__PURE__ */ once((): Patients => dynamoPatients(documentClient(), tableName()));
export const plans = /* @__PURE__ */ once((): Plans => dynamoPlans(documentClient(), tableName()));
export const audit = /* @__PURE__ */ once((): Audit => dynamoAudit(documentClient(), tableName()));
export const organisations = /* @__PURE__ */ once(
  (): Organisations => dynamoOrganisations(documentClient(), tableName()),
);
export const deliveries = /* @__PURE__ */ once(
  (): Deliveries => dynamoDeliveries(documentClient(), tableName()),
);
/** Plans and Audit without their listings: a function that never lists carries no cursor code. */
export const revisions = /* @__PURE__ */ once(
  (): Omit<Plans, 'versions'> => dynamoRevisions(documentClient(), tableName()),
);
export const accessRecords = /* @__PURE__ */ once(
  (): Pick<Audit, 'recordAccess'> => dynamoAccessRecords(documentClient(), tableName()),
);
export const worklists = /* @__PURE__ */ once(
  (): Worklists => dynamoWorklists(documentClient(), tableName()),
);

export const worklistReader = /* @__PURE__ */ once(
  (): Pick<Worklists, 'awaitingRatification' | 'patientsOf'> =>
    dynamoWorklistReader(documentClient(), tableName()),
);
export const carers = /* @__PURE__ */ once((): Carers => dynamoCarers(documentClient(), tableName()));

export const hostSystems = /* @__PURE__ */ once(
  (): HostSystems => dynamoHostSystems(documentClient(), tableName()),
);
export const launches = /* @__PURE__ */ once((): Launches => dynamoLaunches(documentClient(), tableName()));

/**
 * The KMS signer, its SDK client loaded on first use: every function that verifies tokens holds a
 * signer for the service's own public keys, and most never meet a token of the service's.
 */
const lazyKmsSigner = (keyId: string, previousKeyIds: readonly string[]): ServiceSigner => {
  let made: Promise<ServiceSigner> | undefined;
  const signer = () => {
    made ??= Promise.all([import('@aws-sdk/client-kms'), import('./signing/kms.ts')]).then(
      ([{ KMSClient }, { kmsSigner }]) =>
        kmsSigner({ client: new KMSClient({ maxAttempts: 3 }), keyId, previousKeyIds }),
    );
    return made;
  };
  return {
    sign: async (payload, options) => (await signer()).sign(payload, options),
    publicKeys: async () => (await signer()).publicKeys(),
  };
};

/** The service signing key: the KMS key when SIGNING_KEY_ID is set (AWS), else the key file (one machine). */
export const serviceSigner = /* @__PURE__ */ once((): ServiceSigner => {
  const keyId = signingKeyId();
  if (keyId) return lazyKmsSigner(keyId, previousSigningKeys());
  const keyFile = signingKeyFile();
  if (keyFile) return keyFileSigner({ keyFile, previousKeyFiles: previousSigningKeys() });
  throw new ConfigurationError(
    `neither ${env.SIGNING_KEY_ID} (a KMS key) nor ${env.SIGNING_KEY_FILE} (a key file) is set: the service has no signing key`,
  );
});

/**
 * A Lambda entry whose handler is given its ports on the first invocation, not at import: the
 * environment is read then, and a module can be imported (by the route registry's checks, say)
 * without one.
 */
export const lazyHandler = <A extends unknown[], R>(make: () => (...args: A) => R) => {
  const handler = once(make);
  return (...args: A): R => handler()(...args);
};
