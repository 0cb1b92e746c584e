import { LocalError } from './instance.ts';
import { useTableOfRunningServer } from './table-target.ts';

/**
 * `npm run rebuild-projections`: the search keys, reviews due and outcome counters made again from
 * the profiles and revisions of the running `npm start`'s table (local/rebuild.ts). A deployed
 * table: `TABLE_NAME=<name> DYNAMODB_ENDPOINT=https://dynamodb.<region>.amazonaws.com` with AWS
 * credentials in the environment.
 */
try {
  useTableOfRunningServer('npm run rebuild-projections');
  const { documentClient } = await import('../functions/platform/dynamo.ts');
  const { tableName } = await import('../functions/platform/config.ts');
  const { handler } = await import('../functions/consumers/projections.ts');
  const { rebuildProjections } = await import('./rebuild.ts');
  const rebuilt = await rebuildProjections(documentClient(), tableName(), handler);
  documentClient().destroy();
  process.stdout.write(
    `rebuilt: ${rebuilt.patients} patients, ${rebuilt.revisions} revisions replayed, ${rebuilt.deleted} projected items replaced\n`,
  );
} catch (err) {
  if (!(err instanceof LocalError)) throw err;
  process.stderr.write(`rebuild-projections: ${err.message}\n`);
  process.exitCode = 1;
}
