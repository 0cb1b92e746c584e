import { createHash, createPublicKey } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { isValidNhsNumber } from '../../domain/nhs-number.ts';
import { env } from '../../functions/platform/config.ts';
import { derToJose, jwsHeader, publicJwk, signingInput } from '../../functions/platform/signing/jws.ts';
import { keyFileSigner } from '../../functions/platform/signing/key-file.ts';
import { type DevTokenOptions, ensureDevIssuer, issueDevToken } from '../../local/dev-issuer.ts';
import {
  type LocalRuntime,
  type LocalRuntimeOptions,
  serviceKeyFile,
  startLocalRuntime,
} from '../../local/runtime.ts';
import { type Rehearsal, rehearsalEnv, rehearsalFromEnv } from '../../rehearsal/rehearsal.ts';

/**
 * HTTP acceptance tests against the whole service on one machine (local/runtime.ts), or, under
 * `npm run rehearse`, against the synthesised stack rehearsed (rehearsal/rehearsal.ts). One
 * runtime per test file: the handler modules hold per-process singletons read from process.env.
 */

/** The n-th (from 0) valid NHS number of the 999 test range, by the Modulus 11 rule. */
export const testNhsNumber = (n: number): string => {
  let seen = -1;
  for (let body = 0; body < 10_000_000; body += 1) {
    const nine = `999${String(body).padStart(6, '0')}`;
    for (let check = 0; check <= 9; check += 1) {
      if (isValidNhsNumber(`${nine}${check}`)) {
        seen += 1;
        if (seen === n) return `${nine}${check}`;
      }
    }
  }
  throw new Error(`no ${n}-th NHS number in the 999 range`);
};

/** The same digits with the last one changed: fails the Modulus 11 check. */
export const withWrongCheckDigit = (nhs: string): string => {
  const last = Number(nhs.at(-1));
  for (let d = 1; d <= 9; d += 1) {
    const candidate = `${nhs.slice(0, 9)}${(last + d) % 10}`;
    if (!isValidNhsNumber(candidate)) return candidate;
  }
  throw new Error('unreachable');
};

/** Under `npm run rehearse`: the service is the synthesised stack, its table out of this process's reach. */
export const rehearsed = Boolean(process.env[rehearsalEnv.assembly]);

export type ApiResponse = {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
  body: any;
};

export type CallOptions = {
  token?: string;
  /** Sent as JSON with `Content-Type: application/json`. */
  json?: unknown;
  /** Sent as is; set the content type in `headers`. */
  raw?: string;
  headers?: Record<string, string>;
};

/** An EventBridge event as archived: its shape is what the tests assert. */
// biome-ignore lint/suspicious/noExplicitAny: archived JSON has no static type; the assertions check it.
export type ArchivedEvent = { 'detail-type': string; time: string; source: string; detail: any };

export type Api = {
  url: string;
  dataDir: string;
  runtime: Pick<LocalRuntime, 'url' | 'archive' | 'settled' | 'fireSchedules' | 'close'>;
  /** The one-machine runtime's table, for a test that runs an operator's command against it; none under a rehearsal. */
  table(): LocalRuntime['table'];
  token(options: DevTokenOptions): string;
  /** Signs arbitrary claims with the trusted dev issuer (iss, aud, iat and exp default). */
  sign(claims: Record<string, unknown>, kind: 'staff' | 'citizen'): string;
  call(method: string, path: string, options?: CallOptions): Promise<ApiResponse>;
  /** The emails sent so far, as the `.eml` files the local mailer writes. */
  outbox(): string[];
  /** Every event in the audit archive (the S3-protocol server), with its object key. */
  archived(): Promise<{ key: string; event: ArchivedEvent }[]>;
  /**
   * A compact JWS signed with the key the running service signs with, reached as an operator
   * would: its key file on one machine, the stack's KMS signing key under a rehearsal.
   */
  signAsService(payload: Record<string, unknown>, typ: string): Promise<string>;
  /** Fires each scheduled rule's targets once, as EventBridge would (the rehearsal's, or the one-machine runtime's timers). */
  fireSchedules(): Promise<void>;
  close(): Promise<void>;
};

export async function startApi(options: Pick<LocalRuntimeOptions, 'extraTrustedIssuers'> = {}): Promise<Api> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ucp-api-'));
  const rehearsal = await rehearsalFromEnv(dataDir);
  const local = rehearsal
    ? undefined
    : await startLocalRuntime({ dataDir, port: 0, inMemory: true, ...options });
  const runtime = rehearsal ?? (local as LocalRuntime);
  const issuer = ensureDevIssuer(dataDir);
  return {
    url: runtime.url,
    dataDir,
    runtime,
    table: () => {
      if (!local) throw new Error("the rehearsed stack's table is out of this process's reach");
      return local.table;
    },
    token: (options) => issueDevToken(dataDir, options),
    sign: (claims, kind) => issuer.sign(claims, kind),
    call: (method, path, options = {}) => call(runtime.url, method, path, options),
    outbox: () => {
      const dir = join(dataDir, 'outbox');
      return readdirSync(dir)
        .filter((f) => f.endsWith('.eml'))
        .map((f) => readFileSync(join(dir, f), 'utf8'));
    },
    archived: () => archived(runtime.archive),
    signAsService: (payload, typ) =>
      rehearsal
        ? signWithStackKey(rehearsal, payload, typ)
        : keyFileSigner({ keyFile: serviceKeyFile(dataDir) }).sign(payload, { typ }),
    fireSchedules: () => runtime.fireSchedules(),
    close: async () => {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Signs with the KMS key the stack's functions are given as their signing key, as kms.ts signs: a digest, DER to JOSE. */
async function signWithStackKey(
  rehearsal: Rehearsal,
  payload: Record<string, unknown>,
  typ: string,
): Promise<string> {
  const keyIds = new Set(
    Object.values(rehearsal.stack.resources)
      .map((r) => r.Properties?.Environment?.Variables?.[env.SIGNING_KEY_ID])
      .filter((id): id is string => typeof id === 'string'),
  );
  const [keyId] = keyIds;
  if (keyIds.size !== 1 || !keyId) throw new Error(`the stack names ${keyIds.size} signing keys, not one`);
  const resolved = rehearsal.kms.resolve(keyId);
  if (resolved.found !== 'signing') throw new Error(`${keyId} is not a signing key of the rehearsal`);
  const spki = createPublicKey({ key: resolved.key.publicKey, format: 'der', type: 'spki' });
  const input = signingInput(jwsHeader(publicJwk(spki.export({ format: 'jwk' })).kid, typ), payload);
  const signed = rehearsal.kms.sign(resolved.key, {
    Message: createHash('sha256').update(input).digest('base64'),
    MessageType: 'DIGEST',
    SigningAlgorithm: 'ECDSA_SHA_256',
  });
  if (!('signature' in signed)) throw new Error(`${signed.type}: ${signed.message}`);
  return `${input}.${derToJose(signed.signature).toString('base64url')}`;
}

async function archived({ endpoint, bucket }: LocalRuntime['archive']) {
  // s3rver accepts only its own access key.
  const s3 = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  try {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'audit/' }));
    return await Promise.all(
      (listed.Contents ?? []).map(async ({ Key }) => {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
        return { key: Key ?? '', event: JSON.parse(await (object.Body?.transformToString() ?? '{}')) };
      }),
    );
  } finally {
    s3.destroy();
  }
}

async function call(base: string, method: string, path: string, options: CallOptions): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.raw !== undefined) {
    body = options.raw;
  }
  Object.assign(headers, options.headers);
  const response = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined && { body }) });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

/** Asserts an RFC 9457 problem with this status: the media type, the four members, and no stack trace. */
export function expectProblem(response: ApiResponse, status: number): void {
  expect({ status: response.status, body: response.body }).toMatchObject({ status, body: { status } });
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(response.body).toEqual(
    expect.objectContaining({
      type: expect.any(String),
      title: expect.any(String),
      status,
      detail: expect.any(String),
    }),
  );
  expect(response.body.title.length).toBeGreaterThan(0);
  expect(response.body.detail.length).toBeGreaterThan(0);
  expectNoStackTrace(response);
}

/** A 400 problem whose `errors` list names each given path. */
export function expectBadRequest(response: ApiResponse, paths: string[]): void {
  expectProblem(response, 400);
  expect(Array.isArray(response.body.errors)).toBe(true);
  for (const error of response.body.errors) {
    expect(error).toEqual({ path: expect.any(String), message: expect.any(String) });
  }
  const named = response.body.errors.map((e: { path: string }) => e.path);
  for (const path of paths) expect(named).toContain(path);
}

export function expectNoStackTrace(response: ApiResponse): void {
  expect(response.text).not.toMatch(/\n\s+at \S/);
  expect(response.text).not.toMatch(/"stack"/);
  expect(response.text).not.toMatch(/node_modules|file:\/\//);
}

/** A body for POST /patients. */
export const enrolment = (nhsNumber: string, overrides: Record<string, unknown> = {}) => ({
  nhsNumber,
  name: { given: 'Ada', family: 'Byron' },
  birthDate: '1941-02-11',
  postcode: 'SW1A 1AA',
  gpPractice: 'A81001',
  ...overrides,
});

/** A body for POST /patients/{nhs}/carers: the patient's daughter, with co-author access unless overridden. */
export const carerGrant = (carerNhs: string, overrides: Record<string, unknown> = {}) => ({
  carer: { nhsNumber: carerNhs, name: 'Ruth Byron' },
  relationship: 'daughter',
  legalBasis: 'patient-consent',
  access: 'co-author',
  ...overrides,
});

/** A patient who enrolled and started a draft of their own: the fixture most error tests start from. */
export async function enrolWithDraft(api: Api, nhs: string, patient: string): Promise<void> {
  expect((await api.call('POST', '/patients', { token: patient, json: enrolment(nhs) })).status).toBe(201);
  const created = await api.call('POST', `/patients/${nhs}/plan`, {
    token: patient,
    json: { sections: { aboutMe: { whatMattersToMe: 'my garden' } } },
  });
  expect(created.status).toBe(201);
}

export const etagOf = (response: ApiResponse): string => {
  const etag = response.headers.get('etag');
  if (etag === null) throw new Error(`no ETag on ${response.status} ${response.text}`);
  return etag;
};
