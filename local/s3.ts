import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
// @ts-expect-error s3rver ships no type declarations; typed below for the part we use.
import UntypedS3rver from 's3rver';

type KoaContext = {
  method: string;
  path: string;
  status: number;
  type: string;
  body: unknown;
  get(header: string): string;
};
type S3rverInstance = {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  middleware: ((ctx: KoaContext, next: () => Promise<void>) => Promise<void>)[];
  store: { existsObject(bucket: string, key: string): Promise<boolean> };
};
const S3rver: new (options: Record<string, unknown>) => S3rverInstance = UntypedS3rver;

export type LocalS3 = { endpoint: string; close(): Promise<void> };

/** An S3-protocol server on 127.0.0.1 keeping its objects as files under `directory`, with `buckets` made. */
export async function startS3(options: {
  directory: string;
  buckets: string[];
  port?: number;
}): Promise<LocalS3> {
  mkdirSync(options.directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    directory: options.directory,
    silent: true,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  // S3 honours `If-None-Match: *` on PUT (write once); s3rver ignores it, so answer 412 here as S3 would.
  server.middleware.unshift(async (ctx, next) => {
    if (ctx.method === 'PUT' && ctx.get('if-none-match') === '*') {
      const [, bucket = '', ...key] = ctx.path.split('/');
      if (await server.store.existsObject(bucket, decodeURIComponent(key.join('/')))) {
        ctx.status = 412;
        ctx.type = 'application/xml';
        ctx.body =
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>';
        return;
      }
    }
    await next();
  });
  const { port } = await server.run();
  return { endpoint: `http://127.0.0.1:${port}`, close: () => server.close() };
}
