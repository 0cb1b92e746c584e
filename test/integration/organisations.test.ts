import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openApiDocument } from '../../functions/http/openapi.ts';
import { OrganisationRevisionConflict } from '../../functions/platform/ports.ts';
import { dynamoOrganisations } from '../../functions/platform/store/organisations.ts';
import { keys } from '../../functions/platform/table.ts';
import { type ApiEventInput, invoke } from '../../local/api-gateway.ts';
import { ensureDevIssuer, issueDevToken } from '../../local/dev-issuer.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.ts';
import { GP_PRACTICE, NHS } from '../support/fixtures.ts';

/** PUT and GET /organisations/{ods} through the Lambda handler, against a real DynamoDB protocol server. */
let db: TestDynamo;
let dataDir: string;
let handler: Parameters<typeof invoke>[0];
/** A service administrator: an admin of no organisation. */
let serviceAdmin: string;
/** The admin of GP_PRACTICE, and of another practice. */
let practiceAdmin: string;
let otherAdmin: string;

const riverside = {
  name: 'Riverside Surgery',
  kind: 'gp_practice',
  notificationEmail: 'riverside.surgery@nhs.net',
  privacyOfficerEmail: 'ig.riverside@nhs.net',
};
const call = (input: Omit<ApiEventInput, 'resource'>) =>
  invoke(handler, { ...input, resource: '/organisations/{ods}' });
const put = (ods: string, token: string, body: unknown, ifMatch?: string) =>
  call({
    method: 'PUT',
    path: `/organisations/${ods}`,
    token,
    body,
    ...(ifMatch && { headers: { 'If-Match': ifMatch } }),
  });
const get = (ods: string, token: string) => call({ method: 'GET', path: `/organisations/${ods}`, token });

/** Every revision of an entry kept in the table, oldest first. */
const revisions = async (ods: string) =>
  (
    await db.doc.send(
      new QueryCommand({
        TableName: db.tableName,
        KeyConditionExpression: 'pk = :pk and begins_with(sk, :rev)',
        ExpressionAttributeValues: { ':pk': keys.organisation(ods), ':rev': keys.revisionPrefix },
      }),
    )
  ).Items ?? [];

beforeAll(async () => {
  db = await startTestDynamo('ucp-organisations-test');
  dataDir = mkdtempSync(join(tmpdir(), 'ucp-organisations-'));
  vi.stubEnv('TABLE_NAME', db.tableName);
  vi.stubEnv('DYNAMODB_ENDPOINT', db.dynamo.endpoint);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  vi.stubEnv('TRUSTED_ISSUERS', JSON.stringify(ensureDevIssuer(dataDir).trustedIssuers));
  // Loaded only now: the handler's singletons read the environment on first use.
  ({ handler } = await import('../../functions/http/organisations.ts'));
  serviceAdmin = issueDevToken(dataDir, { role: 'admin', sub: 'service-admin-1' });
  practiceAdmin = issueDevToken(dataDir, { role: 'admin', org: GP_PRACTICE, sub: 'practice-admin-1' });
  otherAdmin = issueDevToken(dataDir, { role: 'admin', org: 'B82002', sub: 'other-admin-1' });
});
afterAll(async () => {
  (await import('../../functions/platform/dynamo.ts')).documentClient().destroy();
  vi.unstubAllEnvs();
  await db?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('PUT /organisations/{ods}', () => {
  it('registers an organisation (201, revision 1, its ETag); GET reads it back', async () => {
    const created = await put(GP_PRACTICE, serviceAdmin, riverside);
    expect(created.status).toBe(201);
    expect(created.headers.etag).toBe('"1"');
    expect(created.body).toEqual({
      ods: GP_PRACTICE,
      ...riverside,
      revision: 1,
      updatedAt: expect.any(String),
      updatedBy: { id: 'service-admin-1', role: 'admin' },
    });
    const read = await get(GP_PRACTICE, serviceAdmin);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    expect(read.headers.etag).toBe('"1"');
    expect(read.headers['cache-control']).toBe('no-store');
  });

  it('replaces the organisation whole, given the revision it was based on', async () => {
    const ods = 'H12345';
    await put(ods, serviceAdmin, riverside);
    const { privacyOfficerEmail: _, ...withoutOfficer } = riverside;
    const replaced = { ...withoutOfficer, name: "St Mary's Hospice", kind: 'hospice' };
    const response = await put(ods, serviceAdmin, replaced, '"1"');
    expect([response.status, response.headers.etag, response.body?.revision]).toEqual([200, '"2"', 2]);
    const read = await get(ods, serviceAdmin);
    expect(read.body).toMatchObject(replaced);
    expect(read.body).not.toHaveProperty('privacyOfficerEmail');
  });

  it('keeps every revision, each carrying its Organisation.Updated event (the outbox)', async () => {
    const ods = 'R11111';
    await put(ods, serviceAdmin, riverside);
    await put(ods, serviceAdmin, { ...riverside, notificationEmail: 'new.inbox@nhs.net' }, '"1"');
    const items = await revisions(ods);
    expect(items.map((i) => [i.sk, i.type, i.revision])).toEqual([
      [keys.revision(1), 'organisationRevision', 1],
      [keys.revision(2), 'organisationRevision', 2],
    ]);
    expect(items[1]?.events).toEqual([
      {
        id: expect.any(String),
        type: 'Organisation.Updated',
        at: items[1]?.updatedAt,
        detail: {
          ods,
          revision: 2,
          updatedBy: { id: 'service-admin-1', role: 'admin' },
          changedFields: ['notificationEmail'],
          addressChanges: [
            { field: 'notificationEmail', from: riverside.notificationEmail, to: 'new.inbox@nhs.net' },
          ],
        },
      },
    ]);
  });

  it('the same entry again changes nothing: 200, the same revision, no new item', async () => {
    const ods = 'R22222';
    await put(ods, serviceAdmin, riverside);
    const again = await put(ods, serviceAdmin, riverside, '"1"');
    expect([again.status, again.headers.etag]).toEqual([200, '"1"']);
    expect(await revisions(ods)).toHaveLength(1);
  });

  it.each([
    ['an unknown field', { ...riverside, phone: '01234 567890' }, 'phone'],
    ['an unknown kind', { ...riverside, kind: 'pharmacy' }, 'kind'],
    [
      'an address that is not an email',
      { ...riverside, notificationEmail: 'riverside' },
      'notificationEmail',
    ],
    ['no body', undefined, 'name'],
  ])('refuses %s: 400 naming the field', async (_, body, field) => {
    const response = await put('B82002', serviceAdmin, body);
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(JSON.stringify(response.body?.errors)).toContain(field);
  });

  it('refuses JSON that does not parse: 400', async () => {
    const response = await call({
      method: 'PUT',
      path: '/organisations/B82002',
      token: serviceAdmin,
      body: '{"name":',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(response.status).toBe(400);
  });

  it.each(['a81001', 'A!', 'TOOLONGODSCODE1'])('refuses the ODS code %s in the path: 400', async (ods) => {
    for (const method of ['PUT', 'GET'] as const) {
      const response = await call({
        method,
        path: `/organisations/${ods}`,
        token: serviceAdmin,
        body: riverside,
      });
      expect(response.status).toBe(400);
      expect(response.body?.errors).toEqual([{ path: 'ods', message: expect.any(String) }]);
    }
  });
});

describe('no lost updates', () => {
  const ods = 'C33333';
  beforeAll(async () => {
    expect((await put(ods, serviceAdmin, riverside)).status).toBe(201);
  });

  it('replacing without If-Match: 428, and nothing written', async () => {
    const response = await put(ods, serviceAdmin, { ...riverside, name: 'Renamed' });
    expect(response.status).toBe(428);
    expect(response.body?.detail).toBe('send If-Match with the ETag of the entry you are replacing');
    expect(await revisions(ods)).toHaveLength(1);
  });

  it('a stale If-Match: 412 with the current revision, and nothing written', async () => {
    await put(ods, serviceAdmin, { ...riverside, name: 'Second name' }, '"1"');
    const stale = await put(ods, serviceAdmin, { ...riverside, name: 'Based on the first' }, '"1"');
    expect(stale.status).toBe(412);
    expect(stale.body?.currentRevision).toBe(2);
    expect(stale.headers.etag).toBe('"2"');
    expect((await get(ods, serviceAdmin)).body?.name).toBe('Second name');
  });

  it('If-Match on an organisation not registered: 412, and nothing written', async () => {
    const response = await put('N44444', serviceAdmin, riverside, '"1"');
    expect(response.status).toBe(412);
    expect(response.body).not.toHaveProperty('currentRevision');
    expect(await revisions('N44444')).toEqual([]);
  });

  it('two admins replacing the same revision at once: exactly one wins, the other gets 412', async () => {
    const { headers } = await get(ods, serviceAdmin);
    const revision = headers.etag as string;
    const ownAdmin = issueDevToken(dataDir, { role: 'admin', org: ods, sub: 'own-admin' });
    const raced = await Promise.all([
      put(ods, serviceAdmin, { ...riverside, notificationEmail: 'from.service@nhs.net' }, revision),
      put(ods, ownAdmin, { ...riverside, notificationEmail: 'from.practice@nhs.net' }, revision),
    ]);
    expect(raced.map((r) => r.status).sort()).toEqual([200, 412]);
    const winner = raced.find((r) => r.status === 200);
    expect((await get(ods, serviceAdmin)).body?.notificationEmail).toBe(winner?.body?.notificationEmail);
  });
});

describe('the repository', () => {
  it('writes each revision once: the loser of a race for it gets OrganisationRevisionConflict', async () => {
    const registry = dynamoOrganisations(db.doc, db.tableName);
    const entry = (notificationEmail: string) => ({
      ods: 'D66666',
      revision: 1,
      organisation: { ...riverside, kind: 'gp_practice' as const, notificationEmail },
      updatedAt: '2026-11-21T10:00:00.000Z',
      updatedBy: { id: 'service-admin-1', role: 'admin' as const },
      events: [],
    });
    const raced = await Promise.allSettled([
      registry.append(entry('first@nhs.net')),
      registry.append(entry('second@nhs.net')),
    ]);
    expect(raced.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const lost = raced.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(lost?.reason).toBeInstanceOf(OrganisationRevisionConflict);
    const kept = await registry.get('D66666');
    expect(['first@nhs.net', 'second@nhs.net']).toContain(kept?.organisation.notificationEmail);
    expect(await revisions('D66666')).toHaveLength(1);
  });
});

describe('who may', () => {
  it("an organisation's own admin reads and replaces its own entry", async () => {
    const read = await get(GP_PRACTICE, practiceAdmin);
    expect(read.status).toBe(200);
    const changed = await put(
      GP_PRACTICE,
      practiceAdmin,
      { ...riverside, notificationEmail: 'practice.inbox@nhs.net' },
      read.headers.etag,
    );
    expect(changed.status).toBe(200);
    expect(changed.body?.updatedBy).toEqual({
      id: 'practice-admin-1',
      role: 'admin',
      organisation: GP_PRACTICE,
    });
  });

  it("another organisation's admin may neither read nor write it, registered or not: 403", async () => {
    for (const ods of [GP_PRACTICE, 'U55555']) {
      const write = await put(ods, otherAdmin, { ...riverside, notificationEmail: 'attacker@example.org' });
      const read = await get(ods, otherAdmin);
      expect([write.status, read.status]).toEqual([403, 403]);
      expect(write.body?.detail).toBe("an organisation's admin manages only its own organisation's entry");
    }
    expect((await get(GP_PRACTICE, serviceAdmin)).body?.notificationEmail).toBe('practice.inbox@nhs.net');
    expect(await revisions('U55555')).toEqual([]);
  });

  it.each([
    ['a GP', { role: 'gp', org: GP_PRACTICE }],
    ['a privacy officer', { role: 'privacy_officer', org: GP_PRACTICE }],
    ['a patient', { role: 'patient', nhs: NHS }],
  ])('%s may not read or write the registry: 403', async (_, options) => {
    const token = issueDevToken(dataDir, options);
    const write = await put(GP_PRACTICE, token, riverside);
    const read = await get(GP_PRACTICE, token);
    expect([write.status, read.status]).toEqual([403, 403]);
    expect(write.body?.detail).toBe('only an admin may manage the organisation registry');
  });

  it('without a token: 401', async () => {
    const response = await call({ method: 'GET', path: `/organisations/${GP_PRACTICE}` });
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
  });

  it('an organisation not in the registry: 404, to those who may manage it', async () => {
    for (const [ods, token] of [
      ['ZZZ999', serviceAdmin],
      ['B82002', otherAdmin],
    ] as const) {
      const response = await get(ods, token);
      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toBe('application/problem+json');
    }
  });
});

describe('OpenAPI', () => {
  it('documents both operations with the registry schemas, and If-Match on PUT', () => {
    const document = openApiDocument() as unknown as {
      paths: Record<
        string,
        Record<string, { requestBody?: unknown; parameters?: unknown; responses: Record<string, unknown> }>
      >;
      components: { schemas: Record<string, unknown> };
    };
    const path = document.paths['/organisations/{ods}'];
    expect(Object.keys(path ?? {}).sort()).toEqual(['get', 'put']);
    expect(JSON.stringify(path?.put?.requestBody)).toContain('#/components/schemas/Organisation');
    // Header names are case-insensitive; the document spells them as RFC 9110 does.
    expect(JSON.stringify(path?.put?.parameters)).toContain('"name":"If-Match"');
    expect(Object.keys(path?.put?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '201', '412', '428']),
    );
    expect(JSON.stringify(path?.get?.responses[200])).toContain(
      '#/components/schemas/RegisteredOrganisation',
    );
    expect(document.components.schemas).toHaveProperty('Organisation');
    expect(JSON.stringify(document.components.schemas.PatientProfile)).toContain('email');
  });
});
