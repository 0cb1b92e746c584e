import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { invoke } from '../../local/api-gateway.ts';

const { handler } = await import('../../functions/http/meta.ts');
const { routes } = await import('../../functions/http/routes.ts');

type Operation = {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { in: string; name: string; required?: boolean }[];
  responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, unknown> }>;
};
type Document = {
  info: { license?: { name: string }; contact?: unknown };
  servers?: { url: string; description?: string }[];
  tags: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
};

/** The document as GET /openapi.json serves it. */
const served = async (): Promise<Document> => {
  const res = await invoke(handler, { method: 'GET', path: '/openapi.json' });
  expect(res.status).toBe(200);
  return res.body as unknown as Document;
};
const document = await served();
const operation = (method: string, path: string): Operation => {
  const found = document.paths[path]?.[method.toLowerCase()];
  if (!found) throw new Error(`${method} ${path} is not documented`);
  return found;
};
const header = (op: Operation, name: string) =>
  op.parameters?.find((p) => p.in === 'header' && p.name === name);

const dir = mkdtempSync(join(tmpdir(), 'ucp-openapi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the OpenAPI document', () => {
  it('passes redocly lint with its recommended rules: no error, no warning, offline', async () => {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    // Redocly CLI on this Node (24): its own shebang would take whatever node is on PATH.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['node_modules/@redocly/cli/bin/cli.js', 'lint', file, '--config', 'redocly.yaml', '--format', 'json'],
      {
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const report = JSON.parse(stdout) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; message: string; location: { pointer: string }[] }[];
    };
    const problems = report.problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
    expect(problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 60_000);

  it('gives every operation an id, a summary, a description and one of the described tags', () => {
    const tags = new Set(document.tags.map((t) => t.name));
    expect([...tags]).toEqual([
      'Patients',
      'Plan',
      'Plan history',
      'Urgent care',
      'FHIR',
      'Audit',
      'Care network',
      'Worklists',
      'Reports',
      'Organisations',
      'Launch',
      'Service',
    ]);
    for (const tag of document.tags) expect(tag.description, tag.name).toBeTruthy();
    const ids = new Set<string>();
    for (const route of routes) {
      const op = operation(route.method, route.path);
      expect(op.operationId, `${route.method} ${route.path}`).toMatch(/^[a-z][A-Za-z]+$/);
      ids.add(op.operationId ?? '');
      expect(op.summary).toBeTruthy();
      expect(op.description?.length).toBeGreaterThan(20);
      expect(op.tags).toHaveLength(1);
      expect(tags.has(op.tags?.[0] ?? '')).toBe(true);
    }
    expect(ids.size).toBe(routes.length);
  });

  it('marks the public routes public and the others bearer-only', () => {
    for (const route of routes) {
      const op = operation(route.method, route.path);
      expect(op.security, `${route.method} ${route.path}`).toEqual(route.auth ? [{ bearer: [] }] : []);
      if (route.auth) expect(op.responses['401']?.headers).toHaveProperty('WWW-Authenticate');
    }
  });

  it('names the headers a client sends and reads', () => {
    const edit = operation('PATCH', '/patients/{nhs}/plan');
    expect(header(edit, 'If-Match')?.required).toBe(true);
    expect(Object.keys(edit.responses)).toEqual(
      expect.arrayContaining([
        '200',
        '400',
        '401',
        '403',
        '404',
        '409',
        '412',
        '413',
        '415',
        '422',
        '428',
        '503',
      ]),
    );
    expect(edit.responses['200']?.headers).toHaveProperty('ETag');
    expect(edit.responses['412']?.headers).toHaveProperty('ETag');
    const death = header(operation('POST', '/patients/{nhs}/death'), 'If-Match');
    expect(death).toBeDefined();
    expect(death?.required).toBeFalsy();

    const create = operation('POST', '/patients/{nhs}/plan');
    expect(header(create, 'Idempotency-Key')).toBeDefined();
    expect(create.responses['201']?.headers).toEqual(
      expect.objectContaining({ ETag: expect.anything(), Location: expect.anything() }),
    );
    expect(operation('POST', '/patients').responses['201']?.headers).toHaveProperty('Location');

    for (const path of ['/patients/{nhs}/plan', '/patients/{nhs}/plan/summary', '/patients/{nhs}']) {
      expect(header(operation('GET', path), 'Break-Glass'), path).toBeDefined();
    }
    expect(operation('GET', '/patients/{nhs}/plan').responses['200']?.headers).toHaveProperty('ETag');
  });

  it('says where it is served, its licence and whom to ask', () => {
    expect(document.servers).toEqual([{ url: '.', description: expect.any(String) }]);
    expect(document.info.license?.name).toBeTruthy();
    expect(document.info.contact).toBeDefined();
  });
});
