import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openApiDocument } from '../../functions/http/openapi.ts';
import { type ApiEventInput, invoke } from '../../local/api-gateway.ts';
import { ensureDevIssuer, issueDevToken } from '../../local/dev-issuer.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.ts';
import { GP_PRACTICE, NHS } from '../support/fixtures.ts';

/** PUT and GET /organisations/{ods} through the Lambda handler, against a real DynamoDB protocol server. */
let db: TestDynamo;
let dataDir: string;
let handler: Parameters<typeof invoke>[0];
let adminToken: string;

const riverside = {
  name: 'Riverside Surgery',
  kind: 'gp_practice',
  notificationEmail: 'riverside.surgery@nhs.net',
  privacyOfficerEmail: 'ig.riverside@nhs.net',
};
const call = (input: Omit<ApiEventInput, 'resource'>) =>
  invoke(handler, { ...input, resource: '/organisations/{ods}' });

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
  adminToken = issueDevToken(dataDir, { role: 'admin', org: 'X26', sub: 'admin-1' });
});
afterAll(async () => {
  (await import('../../functions/platform/dynamo.ts')).documentClient().destroy();
  vi.unstubAllEnvs();
  await db?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('PUT /organisations/{ods}', () => {
  it('registers an organisation and answers it with its ODS code; GET reads it back', async () => {
    const put = await call({
      method: 'PUT',
      path: `/organisations/${GP_PRACTICE}`,
      token: adminToken,
      body: riverside,
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      ods: GP_PRACTICE,
      ...riverside,
      updatedAt: expect.any(String),
      updatedBy: { id: 'admin-1', role: 'admin', organisation: 'X26' },
    });
    const get = await call({ method: 'GET', path: `/organisations/${GP_PRACTICE}`, token: adminToken });
    expect(get.status).toBe(200);
    expect(get.body).toEqual(put.body);
    expect(get.headers['cache-control']).toBe('no-store');
  });

  it('replaces the organisation whole', async () => {
    const ods = 'H12345';
    await call({ method: 'PUT', path: `/organisations/${ods}`, token: adminToken, body: riverside });
    const { privacyOfficerEmail: _, ...withoutOfficer } = riverside;
    const replaced = { ...withoutOfficer, name: "St Mary's Hospice", kind: 'hospice' };
    expect(
      (await call({ method: 'PUT', path: `/organisations/${ods}`, token: adminToken, body: replaced }))
        .status,
    ).toBe(200);
    const get = await call({ method: 'GET', path: `/organisations/${ods}`, token: adminToken });
    expect(get.body).toMatchObject(replaced);
    expect(get.body).not.toHaveProperty('privacyOfficerEmail');
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
    const response = await call({ method: 'PUT', path: '/organisations/B82002', token: adminToken, body });
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(JSON.stringify(response.body?.errors)).toContain(field);
  });

  it('refuses JSON that does not parse: 400', async () => {
    const response = await call({
      method: 'PUT',
      path: '/organisations/B82002',
      token: adminToken,
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
        token: adminToken,
        body: riverside,
      });
      expect(response.status).toBe(400);
      expect(response.body?.errors).toEqual([{ path: 'ods', message: expect.any(String) }]);
    }
  });
});

describe('who may', () => {
  it.each([
    ['a GP', { role: 'gp', org: GP_PRACTICE }],
    ['a privacy officer', { role: 'privacy_officer', org: GP_PRACTICE }],
    ['a patient', { role: 'patient', nhs: NHS }],
  ])('%s may not read or write the registry: 403', async (_, options) => {
    const token = issueDevToken(dataDir, options);
    const put = await call({ method: 'PUT', path: `/organisations/${GP_PRACTICE}`, token, body: riverside });
    const get = await call({ method: 'GET', path: `/organisations/${GP_PRACTICE}`, token });
    expect([put.status, get.status]).toEqual([403, 403]);
    expect(put.body?.detail).toBe('only an admin may manage the organisation registry');
  });

  it('without a token: 401', async () => {
    const response = await call({ method: 'GET', path: `/organisations/${GP_PRACTICE}` });
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
  });

  it('an organisation not in the registry: 404', async () => {
    const response = await call({ method: 'GET', path: '/organisations/ZZZ999', token: adminToken });
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toBe('application/problem+json');
  });
});

describe('OpenAPI', () => {
  it('documents both operations with the registry schemas', () => {
    const document = openApiDocument() as unknown as {
      paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    };
    const path = document.paths['/organisations/{ods}'];
    expect(Object.keys(path ?? {}).sort()).toEqual(['get', 'put']);
    expect(JSON.stringify(path?.put?.requestBody)).toContain('#/components/schemas/Organisation');
    expect(JSON.stringify(path?.get?.responses[200])).toContain(
      '#/components/schemas/RegisteredOrganisation',
    );
    expect(document.components.schemas).toHaveProperty('Organisation');
    expect(JSON.stringify(document.components.schemas.PatientProfile)).toContain('email');
  });
});
