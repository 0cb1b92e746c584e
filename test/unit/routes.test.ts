import { describe, expect, it } from 'vitest';
import { operations } from '../../functions/http/openapi.ts';
import { type RouteKeyOf, routes, routeTable } from '../../functions/http/routes.ts';
import { corsAllowHeaders, corsExposeHeaders } from '../../functions/platform/cors.ts';
import { type Bindings, httpApi } from '../../functions/platform/http.ts';
import { apiEvent, lambdaContext } from '../../local/api-gateway.ts';

/** The route registry (functions/http/routes.ts): one table that handlers, openapi.ts, infra and the local runtime read. */

const ok = { handler: async () => ({ statusCode: 204, body: '' }) };

describe('the route registry', () => {
  it('names each route once, by a key that is its operationId, with one reference entry per route', () => {
    expect(new Set(routes.map((r) => `${r.method} ${r.path}`)).size).toBe(routes.length);
    expect(routes.map((r) => r.key).sort()).toEqual(Object.keys(operations).sort());
    for (const route of routes) expect(route.key).toMatch(/^[a-z][A-Za-z]+$/);
  });

  it('lets a browser send every header a route reads and read every header it sends', () => {
    for (const route of routes) {
      for (const name of Object.keys(route.reads ?? {})) expect(corsAllowHeaders, route.key).toContain(name);
      for (const name of route.sends ?? []) expect(corsExposeHeaders, route.key).toContain(name);
    }
  });

  it('makes tsc reject a function that binds a route too few or one of another function', () => {
    // Checked by `npm run typecheck`: each line below fails to compile without its directive.
    // @ts-expect-error getOrganisation is missing
    const tooFew: Bindings<'organisations'> = { putOrganisation: ok };
    // @ts-expect-error getHealth belongs to meta
    const extra: Bindings<'organisations'> = { putOrganisation: ok, getOrganisation: ok, getHealth: ok };
    const keys: RouteKeyOf<'meta'>[] = ['getHealth', 'getOpenApiDocument'];
    expect([tooFew, extra, keys]).toHaveLength(3);
  });

  it('serves a bound route at the registry path, and refuses at init a key of another function', async () => {
    const handler = httpApi('organisations', { putOrganisation: ok, getOrganisation: ok });
    const res = await handler(
      apiEvent({ method: 'GET', path: '/organisations/A81001' }),
      lambdaContext('organisations', 'r-1'),
    );
    expect(res.statusCode).toBe(204);
    expect(routeTable.getOrganisation.path).toBe('/organisations/{ods}');
    expect(() => httpApi('meta', { getHealth: ok, getOpenApiDocument: ok, getPlan: ok } as never)).toThrow(
      /getPlan is not one of meta's/,
    );
  });
});
