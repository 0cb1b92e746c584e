import { httpApi, json } from '../platform/http.ts';
import { openApiDocument } from './openapi.ts';

let document: ReturnType<typeof openApiDocument> | undefined;

export const handler = httpApi([
  { method: 'GET', path: '/health', handler: async () => json(200, { status: 'ok' }) },
  {
    method: 'GET',
    path: '/openapi.json',
    handler: async () => {
      document ??= openApiDocument();
      return json(200, document, { 'Cache-Control': 'public, max-age=300' });
    },
  },
]);
