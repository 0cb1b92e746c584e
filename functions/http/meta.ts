import { httpApi, json } from '../platform/http.ts';
import { openApiDocument } from './openapi.ts';

let document: ReturnType<typeof openApiDocument> | undefined;

export const handler = httpApi('meta', {
  getHealth: { handler: async () => json(200, { status: 'ok' }) },
  getOpenApiDocument: {
    handler: async () => {
      document ??= openApiDocument();
      return json(200, document, { 'Cache-Control': 'public, max-age=300' });
    },
  },
});
