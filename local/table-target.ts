import { env } from '../functions/platform/config.ts';
import { LocalError, locate, shellWord, withDataDir } from './instance.ts';
import { localTableName } from './runtime.ts';

/**
 * Where the admin tools (`npm run reminders`, `npm run rebuild-projections`) find the table and the
 * service: `DYNAMODB_ENDPOINT` (and `TABLE_NAME`, `BASE_URL`) if set, else the running server's, found
 * as `npm run token` finds it. Sets the environment the function modules read, so import them after.
 */
export const useTableOfRunningServer = (tool: string): { dataDir: string; serviceUrl: string } => {
  const { dataDir, server } = locate();
  const endpoint = process.env[env.DYNAMODB_ENDPOINT] ?? server?.dynamodb;
  if (!endpoint) {
    throw new LocalError(
      `no server is running${process.env.DATA_DIR ? ` with DATA_DIR=${shellWord(dataDir)}` : ''}: start one with ${withDataDir(dataDir)}npm start, then run ${tool} again`,
    );
  }
  // The tool prints its own one-line summary: the functions' INFO lines would only bury it.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  const local = /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(endpoint);
  Object.assign(process.env, {
    [env.DYNAMODB_ENDPOINT]: endpoint,
    [env.TABLE_NAME]: process.env[env.TABLE_NAME] ?? localTableName,
    AWS_REGION: process.env.AWS_REGION ?? 'eu-west-2',
    // dynalite accepts any credentials, but the SDK wants some.
    ...(local &&
      !process.env.AWS_ACCESS_KEY_ID && { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' }),
  });
  return { dataDir, serviceUrl: process.env.BASE_URL ?? server?.url ?? 'http://127.0.0.1:3000' };
};
