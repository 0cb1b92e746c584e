import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, startApi } from './harness.ts';

/** GET /docs and its script over HTTP; test/browser/check-docs.ts loads the page in Chromium. */
let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api?.close();
});

const redocBundle = readFileSync(
  createRequire(import.meta.url).resolve('redoc/bundles/redoc.standalone.js'),
  'utf8',
);

describe('the API reference', () => {
  it('is a page without a token that loads the document and its script from relative URLs only', async () => {
    const res = await api.call('GET', '/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.text).toMatch(/<redoc spec-url="openapi\.json"/);
    expect(res.text).toMatch(/<script src="docs\/redoc\.standalone\.js\?v=[\w-]{16}"><\/script>/);
    // Nothing from another origin, not even a font.
    expect(res.text).not.toMatch(/https?:|\/\/[a-z]/i);
  });

  it('holds the page to its own origin with a Content-Security-Policy', async () => {
    const res = await api.call('GET', '/docs');
    const policy = Object.fromEntries(
      (res.headers.get('content-security-policy') ?? '').split(';').map((d) => {
        const [name = '', ...values] = d.trim().split(/\s+/);
        return [name, values.join(' ')];
      }),
    );
    expect(policy).toMatchObject({
      'default-src': "'none'",
      'script-src': "'self'",
      'connect-src': "'self'",
      'img-src': "'self' data:",
      'font-src': "'self'",
      'frame-ancestors': "'none'",
      'base-uri': "'none'",
    });
    expect(Object.values(policy).join(' ')).not.toMatch(/unsafe-eval|https?:|\*/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves Redoc from the API, with its licences, cached for good under its hash', async () => {
    const page = await api.call('GET', '/docs');
    const src = /<script src="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const url = new URL(src, `${api.url}/docs`);
    expect(url.pathname).toBe('/docs/redoc.standalone.js');
    const script = await api.call('GET', `${url.pathname}${url.search}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(script.text.startsWith(redocBundle.slice(0, 1000))).toBe(true);
    expect(script.text).toContain('ReDoc - OpenAPI/Swagger-generated API Reference Documentation');
    // No source map is served, so the script does not name one.
    expect(redocBundle).toContain('//# sourceMappingURL=redoc.standalone.js.map');
    expect(script.text).not.toContain('//# sourceMappingURL=redoc.standalone.js.map');

    const unversioned = await api.call('GET', '/docs/redoc.standalone.js');
    expect(unversioned.status).toBe(200);
    expect(unversioned.headers.get('cache-control')).toBe('public, max-age=300');
    expect(unversioned.text).toBe(script.text);
  });
});
