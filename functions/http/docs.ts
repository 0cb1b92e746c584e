import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire as requireFrom } from 'node:module';
import { httpApi } from '../platform/http.ts';
import { referenceFiles } from './reference-files.ts';

/**
 * GET /docs: the API reference, Redoc rendering /openapi.json, and GET /docs/redoc.standalone.js:
 * Redoc's bundle, served by the API itself. The page loads nothing from anywhere else (the service
 * may run without the internet), and its Content-Security-Policy holds it to that. Its own function,
 * so the megabyte of script stays out of the meta function (/health) and its cold start.
 */

const resolve = requireFrom(import.meta.url).resolve;

/**
 * Only this origin's script and data. Inline styles: Redoc's styled-components writes <style>
 * elements and its bundle offers no way to give them a nonce (without it the page stays blank).
 * Images from data: URLs (Redoc's icons): its attribution logo, on its CDN, is refused. The search
 * index runs in a worker made from a blob.
 */
const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  'worker-src blob:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

type Script = { body: string; hash: string };
let script: Script | undefined;

/** The bundle with its licence notices where its source map link was (no map is served): read once. */
const redoc = (): Script => {
  if (!script) {
    const code = readFileSync(resolve(referenceFiles.script), 'utf8').replace(
      /\n\/\/# sourceMappingURL=\S+\s*$/,
      '\n',
    );
    const body = `${code}${readFileSync(resolve(referenceFiles.licences), 'utf8')}`;
    script = { body, hash: createHash('sha256').update(body).digest('base64url').slice(0, 16) };
  }
  return script;
};

// Relative URLs: the page works at /docs on one machine and at /v1/docs behind the stage alike.
const page = (hash: string) => `<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Urgent Care Plan service: API reference</title>
<link rel="icon" href="data:,">
<style>body { margin: 0; }</style>
</head>
<body>
<noscript>The reference needs JavaScript. The OpenAPI document is at <a href="openapi.json">openapi.json</a>.</noscript>
<redoc spec-url="openapi.json" untrusted-spec required-props-first expand-responses="200,201"></redoc>
<script src="docs/redoc.standalone.js?v=${hash}"></script>
</body>
</html>
`;

let html: string | undefined;

export const handler = httpApi(
  'docs',
  {
    getApiReference: {
      handler: async () => {
        html ??= page(redoc().hash);
        return {
          statusCode: 200,
          headers: {
            'Content-Type': 'text/html; charset=utf-8',
            'Cache-Control': 'public, max-age=300',
            'Content-Security-Policy': contentSecurityPolicy,
          },
          body: html,
        };
      },
    },
    getApiReferenceScript: {
      handler: async (event) => {
        const { body, hash } = redoc();
        // The page names the script by its hash, so that URL never changes meaning: cache it for good.
        const current = event.queryStringParameters?.v === hash;
        return {
          statusCode: 200,
          headers: {
            'Content-Type': 'text/javascript; charset=utf-8',
            'Cache-Control': current ? 'public, max-age=31536000, immutable' : 'public, max-age=300',
          },
          body,
        };
      },
    },
  },
  // The page's own policy, above, instead of the API's (which allows no script at all).
  { securityHeaders: { contentSecurityPolicy: false } },
);
