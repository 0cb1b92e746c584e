import { lazyHandler, serviceSigner } from '../platform/composition-root.ts';
import { httpApi, json } from '../platform/http.ts';
import type { ServiceSigner } from '../platform/ports.ts';

/**
 * The service's own tokens: the public keys it signs with. Public and cacheable; a verifier
 * that meets an unknown `kid` fetches them again, so five minutes is as stale as they get.
 */
export const createHandler = (signer: ServiceSigner) =>
  httpApi('tokens', {
    getServiceKeys: {
      handler: async () => json(200, await signer.publicKeys(), { 'Cache-Control': 'public, max-age=300' }),
    },
  });

export const handler = lazyHandler(() => createHandler(serviceSigner()));
