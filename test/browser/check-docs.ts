/**
 * `npm run check:docs`: the API reference as a person sees it. Starts the whole service on a free
 * port with a temporary data directory, opens /docs in headless Chromium (Debian's `chromium`,
 * never a downloaded browser), and checks that the page renders every operation of the OpenAPI
 * document and loads nothing from anywhere but the service. It does so at the root, as `npm start`
 * serves it, and under `/v1/`, as the API Gateway stage does. Saves a screenshot, prints what it
 * found, and exits non-zero on any failure.
 *
 * CHROMIUM=<path> picks the browser; SCREENSHOT=<file.png> where the picture goes (default: the
 * system's temporary directory).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { startLocalRuntime } from '../../local/runtime.ts';

const timeoutMs = 120_000;

const chromiumPath = (): string => {
  const candidates = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((p): p is string => Boolean(p && existsSync(p)));
  if (!found) {
    throw new Error(
      'no Chromium: apt-get install -y chromium (Debian), or set CHROMIUM to a Chromium or Chrome binary',
    );
  }
  return found;
};

/** API Gateway's stage prefix in front of the service: /v1/x is served as /x. */
const stageProxy = async (target: string): Promise<Server> => {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (!path.startsWith('/v1/')) {
      res.writeHead(404).end();
      return;
    }
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: path.slice('/v1'.length),
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
};

type Operation = { operationId: string; summary: string };

/**
 * The little of the browser the checks below use, typed here: the project compiles without the DOM
 * library. The functions given to `page.evaluate` run in the page, so each casts globalThis itself.
 */
type InPage = {
  document: {
    querySelector(selector: string): unknown;
    querySelectorAll(selector: string): { length: number };
    body: { innerText: string };
    addEventListener(
      type: 'securitypolicyviolation',
      listener: (e: { effectiveDirective: string; blockedURI: string }) => void,
    ): void;
  };
  CSS: { escape(value: string): string };
  cspViolations: string[];
};

type Visit = {
  url: string;
  status: number | undefined;
  csp: string | undefined;
  missing: Operation[];
  /** Requests to other origins, and how each failed ('' if it did not). */
  offOrigin: Map<string, string>;
  violations: string[];
  errors: string[];
  rendered: number;
  ms: number;
};

/** Opens the page and waits for Redoc to render every operation, or gives up at the timeout. */
const visit = async (
  browser: Browser,
  url: string,
  operations: Operation[],
  screenshot?: string,
): Promise<Visit> => {
  const started = performance.now();
  const page = await browser.newPage();
  await page.setViewport({ width: 1440, height: 900 });
  const origin = new URL(url).origin;
  const offOrigin = new Map<string, string>();
  const errors: string[] = [];
  const elsewhere = (url: string) => !/^(data|blob):/.test(url) && new URL(url).origin !== origin;
  page.on('request', (r) => {
    if (elsewhere(r.url())) offOrigin.set(r.url(), '');
  });
  page.on('requestfailed', (r) => {
    if (elsewhere(r.url())) offOrigin.set(r.url(), r.failure()?.errorText ?? 'failed');
  });
  page.on('pageerror', (error) => errors.push(`page error: ${(error as Error).message}`));
  page.on('console', (message) => {
    // CSP refusals are reported below, from the page's own events.
    if (message.type() === 'error' && !message.text().includes('Content Security Policy')) {
      errors.push(`console: ${message.text()}`);
    }
  });
  // Added through DevTools, so the page's policy does not apply to it.
  await page.evaluateOnNewDocument(() => {
    const w = globalThis as unknown as InPage;
    w.cspViolations = [];
    w.document.addEventListener('securitypolicyviolation', (e) =>
      w.cspViolations.push(`${e.effectiveDirective} refused ${e.blockedURI}`),
    );
  });
  // A page that throws will not render: stop waiting then.
  const broken = new Promise<void>((resolve) => page.once('pageerror', () => resolve()));
  const response = await page.goto(url, { waitUntil: 'load', timeout: timeoutMs });
  const ids = operations.map((o) => o.operationId);
  // Redoc names each operation's section `.../operation/<operationId>`.
  await Promise.race([
    page
      .waitForFunction(
        (wanted: string[]) => {
          const w = globalThis as unknown as InPage;
          return wanted.every((id) =>
            w.document.querySelector(`[data-section-id$="operation/${w.CSS.escape(id)}"]`),
          );
        },
        { timeout: timeoutMs, polling: 250 },
        ids,
      )
      .catch(() => undefined),
    broken,
  ]);
  const found = await page.evaluate((wanted: Operation[]) => {
    const w = globalThis as unknown as InPage;
    // biome-ignore lint/performance/useDomNodeTextContent: what is shown counts, not text hidden by CSS.
    const text = w.document.body.innerText;
    return wanted.map(
      (o) =>
        Boolean(w.document.querySelector(`[data-section-id$="operation/${w.CSS.escape(o.operationId)}"]`)) &&
        text.includes(o.summary),
    );
  }, operations);
  const rendered = await page.evaluate(
    () =>
      (globalThis as unknown as InPage).document.querySelectorAll('[data-section-id*="operation/"]').length,
  );
  const violations = await page.evaluate(() => (globalThis as unknown as InPage).cspViolations);
  if (screenshot) await page.screenshot({ path: screenshot as `${string}.png` });
  await page.close();
  return {
    url,
    status: response?.status(),
    csp: response?.headers()['content-security-policy'],
    missing: operations.filter((_, i) => !found[i]),
    offOrigin,
    violations,
    errors,
    rendered,
    ms: Math.round(performance.now() - started),
  };
};

/**
 * What makes a visit fail. The page's policy refuses images from elsewhere (Redoc's attribution
 * logo asks for one): refused is fine, anything that left the machine is not.
 */
const failures = (v: Visit, total: number): string[] => [
  ...(v.status === 200 ? [] : [`${v.url} answered ${v.status}`]),
  ...(v.csp?.includes("default-src 'none'") ? [] : [`${v.url} has no strict Content-Security-Policy`]),
  ...v.missing.map((o) => `${v.url}: ${o.operationId} ("${o.summary}") is not on the page`),
  ...(v.rendered >= total ? [] : [`${v.url}: ${v.rendered} of ${total} operations rendered`]),
  ...v.violations
    .filter((x) => !x.startsWith('img-src '))
    .map((x) => `${v.url}: Content-Security-Policy ${x}`),
  ...[...v.offOrigin]
    .filter(([, failure]) => !['csp', 'net::ERR_BLOCKED_BY_CSP'].includes(failure))
    .map(([u, f]) => `${v.url} asked for ${u}, outside the service, and was not refused (${f})`),
  ...v.errors.map((e) => `${v.url}: ${e}`),
];

const main = async (): Promise<number> => {
  const executablePath = chromiumPath();
  const dataDir = mkdtempSync(join(tmpdir(), 'ucp-check-docs-'));
  const profile = mkdtempSync(join(tmpdir(), 'ucp-chromium-'));
  const screenshot = process.env.SCREENSHOT ?? join(tmpdir(), 'ucp-api-reference.png');
  const runtime = await startLocalRuntime({ dataDir, port: 0, inMemory: true });
  const proxy = await stageProxy(runtime.url);
  let browser: Browser | undefined;
  try {
    const document = (await (await fetch(`${runtime.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { operationId?: string; summary?: string }>>;
    };
    const operations = Object.values(document.paths).flatMap((item) =>
      Object.values(item).map((o) => ({ operationId: o.operationId ?? '', summary: o.summary ?? '' })),
    );
    browser = await puppeteer.launch({
      executablePath,
      headless: true,
      userDataDir: profile,
      timeout: timeoutMs,
      protocolTimeout: timeoutMs,
      // No sandbox as root (CI); no calls home: this machine may have no network at all.
      args: [
        ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
      ],
    });
    const stage = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/v1/docs`;
    const visits = [
      await visit(browser, `${runtime.url}/docs`, operations, screenshot),
      await visit(browser, stage, operations),
    ];
    const failed = visits.flatMap((v) => failures(v, operations.length));
    for (const v of visits) {
      const refused = v.violations.length ? `; its policy refused: ${v.violations.join(', ')}` : '';
      process.stdout.write(
        `${v.url}: ${operations.length - v.missing.length} of ${operations.length} operations shown, ${v.offOrigin.size} requests for other origins${refused} (${v.ms} ms)\n`,
      );
    }
    process.stdout.write(`screenshot: ${screenshot}\n`);
    for (const f of failed) process.stderr.write(`FAIL ${f}\n`);
    process.stdout.write(failed.length ? 'API reference check failed\n' : 'API reference check passed\n');
    return failed.length ? 1 : 0;
  } finally {
    await browser?.close();
    const closed = new Promise<void>((resolve) => proxy.close(() => resolve()));
    proxy.closeAllConnections();
    await closed;
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`FAIL ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
