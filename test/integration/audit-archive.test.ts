import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DomainEvent, raise } from '../../domain/events.ts';
import { toDetail, toEntry } from '../../events/wire.ts';
import type { ArchivedEvent } from '../../functions/consumers/audit-archive.ts';
import { lambdaContext } from '../../local/api-gateway.ts';
import { createLocalBus } from '../../local/bus.ts';
import { type LocalS3, startS3 } from '../../local/s3.ts';

type ArchiveModule = typeof import('../../functions/consumers/audit-archive.ts');
type S3Module = typeof import('../../functions/platform/s3.ts');

const BUCKET = 'ucp-audit-test';
const NHS = '9434765919';

let dataDir: string;
let s3: LocalS3;
let archiveModule: ArchiveModule;
let client: S3Client;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ucp-audit-archive-'));
  s3 = await startS3({ directory: join(dataDir, 's3'), buckets: [BUCKET] });
  // The handler's client and bucket are made on first use from the environment: set it first.
  process.env.S3_ENDPOINT = s3.endpoint;
  process.env.AUDIT_BUCKET = BUCKET;
  process.env.AWS_REGION = 'eu-west-2';
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  const s3Module: S3Module = await import('../../functions/platform/s3.ts');
  archiveModule = await import('../../functions/consumers/audit-archive.ts');
  client = s3Module.s3Client();
});
afterAll(async () => {
  client?.destroy();
  await s3?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

let ids = 0;
const domainEvent = (at: string): DomainEvent<'CarePlan.Ratified'> =>
  raise(
    'CarePlan.Ratified',
    {
      nhsNumber: NHS,
      revision: 3,
      version: 1,
      ratifiedBy: { id: 'gp-1@A81001', role: 'gp', organisation: 'A81001' },
      careTeam: ['A81001', 'H12345'],
    },
    { now: at, newId: () => `01KC${String(++ids).padStart(22, '0')}` },
  );

/** What EventBridge delivers to the archive for a domain event (its own id differs per put). */
const delivered = (event: DomainEvent, bridgeId = `eb-${event.id}`): ArchivedEvent => ({
  version: '0',
  id: bridgeId,
  'detail-type': event.type,
  source: 'urgent-care-plans',
  account: '123456789012',
  time: event.at.replace(/\.\d{3}Z$/, 'Z'),
  region: 'eu-west-2',
  resources: [],
  detail: toDetail(event) as ArchivedEvent['detail'],
});

const keysUnder = async (prefix: string): Promise<string[]> => {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key ?? '').sort();
};
const read = async (key: string) => {
  const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return { body: await object.Body?.transformToString(), contentType: object.ContentType };
};

describe('audit archive against a real S3-protocol server (s3rver)', () => {
  it('writes audit/YYYY/MM/DD/<eventId>.json whose body is exactly the delivered event', async () => {
    const event = delivered(domainEvent('2026-11-21T10:15:30.000Z'));
    await archiveModule.handler(event, lambdaContext('auditArchive'));

    const key = `audit/2026/11/21/${event.detail.eventId}.json`;
    expect(archiveModule.archiveKey(event)).toBe(key);
    expect(await keysUnder('audit/2026/11/21/')).toEqual([key]);
    const { body, contentType } = await read(key);
    expect(body).toBe(JSON.stringify(event));
    expect(contentType).toBe('application/json');
  });

  it('archiving the same event twice leaves one object with the same content', async () => {
    const event = delivered(domainEvent('2026-11-24T08:00:00.000Z'));
    await archiveModule.handler(event, lambdaContext('auditArchive'));
    await archiveModule.handler(event, lambdaContext('auditArchive'));

    const key = `audit/2026/11/24/${event.detail.eventId}.json`;
    expect(await keysUnder('audit/2026/11/24/')).toEqual([key]);
    expect((await read(key)).body).toBe(JSON.stringify(event));
  });

  it('a redelivery in a new EventBridge envelope keeps the first archived copy (write once)', async () => {
    // The relay may put the same domain event twice: same detail.eventId, new EventBridge id.
    const event = domainEvent('2026-11-25T08:00:00.000Z');
    const first = delivered(event, 'eb-first-delivery');
    const again = delivered(event, 'eb-second-delivery');
    await archiveModule.handler(first, lambdaContext('auditArchive'));
    await archiveModule.handler(again, lambdaContext('auditArchive'));

    const key = `audit/2026/11/25/${event.id}.json`;
    expect(await keysUnder('audit/2026/11/25/')).toEqual([key]);
    expect((await read(key)).body).toBe(JSON.stringify(first));
  });

  it('events of two different days go under two date prefixes (UTC, across a year end)', async () => {
    const late = delivered(domainEvent('2025-12-31T23:59:59.000Z'));
    const early = delivered(domainEvent('2026-01-01T00:00:00.000Z'));
    await archiveModule.handler(late, lambdaContext('auditArchive'));
    await archiveModule.handler(early, lambdaContext('auditArchive'));

    expect(await keysUnder('audit/2025/12/31/')).toEqual([`audit/2025/12/31/${late.detail.eventId}.json`]);
    expect(await keysUnder('audit/2026/01/01/')).toEqual([`audit/2026/01/01/${early.detail.eventId}.json`]);
    expect((await read(`audit/2025/12/31/${late.detail.eventId}.json`)).body).toBe(JSON.stringify(late));
    expect((await read(`audit/2026/01/01/${early.detail.eventId}.json`)).body).toBe(JSON.stringify(early));
  });

  it('events put on the local bus are archived through the AuditArchive subscription', async () => {
    const events = [domainEvent('2026-11-27T09:00:00.000Z'), domainEvent('2026-11-27T09:00:01.000Z')];
    const publish = createLocalBus({
      notifications: async () => undefined,
      auditArchive: archiveModule.handler,
    });
    const results = await publish(events.map((e) => toEntry(e, 'local')));

    expect(results.map((r) => r.ErrorCode)).toEqual([undefined, undefined]);
    expect(await keysUnder('audit/2026/11/27/')).toEqual(
      events.map((e) => `audit/2026/11/27/${e.id}.json`).sort(),
    );
    for (const [i, e] of events.entries()) {
      const archived = JSON.parse((await read(`audit/2026/11/27/${e.id}.json`)).body ?? '{}');
      expect(archived.detail).toEqual(toDetail(e));
      expect(archived['detail-type']).toBe('CarePlan.Ratified');
      expect(archived.id).toBe(results[i]?.EventId);
    }
  });
});

describe('audit archive: PutObject (S3 client mocked)', () => {
  const mockedClient = new S3Client({
    region: 'eu-west-2',
    credentials: { accessKeyId: 'unit', secretAccessKey: 'unit' },
  });
  const mocked = mockClient(mockedClient);
  beforeEach(() => mocked.reset());
  afterAll(() => mocked.restore());

  const s3Error = (name: string, httpStatusCode: number) =>
    new S3ServiceException({
      name,
      $fault: httpStatusCode >= 500 ? 'server' : 'client',
      $metadata: { httpStatusCode },
      message: name,
    });

  it('puts write-once JSON: IfNoneMatch *, ContentType application/json, exact body and key', async () => {
    mocked.on(PutObjectCommand).resolves({ ETag: '"etag"' });
    const event = delivered(domainEvent('2026-11-28T12:00:00.000Z'));
    await archiveModule.createAuditArchive(mockedClient, 'the-bucket')(event, lambdaContext('auditArchive'));

    const calls = mocked.commandCalls(PutObjectCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      Bucket: 'the-bucket',
      Key: `audit/2026/11/28/${event.detail.eventId}.json`,
      Body: JSON.stringify(event),
      ContentType: 'application/json',
      IfNoneMatch: '*',
    });
  });

  it('a 412 PreconditionFailed means already archived: no throw, no second put', async () => {
    mocked.on(PutObjectCommand).rejects(s3Error('PreconditionFailed', 412));
    const event = delivered(domainEvent('2026-11-28T12:00:01.000Z'));

    await expect(
      archiveModule.createAuditArchive(mockedClient, 'the-bucket')(event, lambdaContext('auditArchive')),
    ).resolves.toBeUndefined();
    expect(mocked.commandCalls(PutObjectCommand)).toHaveLength(1);
  });

  it.each([
    ['AccessDenied', 403],
    ['NoSuchBucket', 404],
    ['InternalError', 500],
    ['SlowDown', 503],
    // S3 answers 409 when a concurrent conditional write is in flight: the docs say retry, as it may not complete.
    ['ConditionalRequestConflict', 409],
  ])('any other error (%s, %i) is thrown, so the delivery is retried', async (name, status) => {
    const error = s3Error(name, status);
    mocked.on(PutObjectCommand).rejects(error);
    const event = delivered(domainEvent('2026-11-28T12:00:02.000Z'));

    await expect(
      archiveModule.createAuditArchive(mockedClient, 'the-bucket')(event, lambdaContext('auditArchive')),
    ).rejects.toBe(error);
  });

  it('a network error without an HTTP status is thrown', async () => {
    const error = Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    mocked.on(PutObjectCommand).rejects(error);
    const event = delivered(domainEvent('2026-11-28T12:00:03.000Z'));

    await expect(
      archiveModule.createAuditArchive(mockedClient, 'the-bucket')(event, lambdaContext('auditArchive')),
    ).rejects.toBe(error);
  });
});
