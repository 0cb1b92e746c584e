import { join } from 'node:path';
import { LocalError } from './instance.ts';
import { folderMailer } from './outbox.ts';
import { useTableOfRunningServer } from './table-target.ts';

/**
 * `npm run reminders`: the daily review reminders, once, against the running `npm start` (the same
 * handler its timer and the EventBridge schedule run). Reminders land in DATA_DIR/outbox/ as .eml
 * files; each is made and sent once, however often this runs.
 */
try {
  const { dataDir, serviceUrl } = useTableOfRunningServer('npm run reminders');
  const store = await import('../functions/platform/composition-root.ts');
  const { documentClient } = await import('../functions/platform/dynamo.ts');
  const { createReminders } = await import('../functions/consumers/reminders.ts');
  const run = await createReminders({
    reviews: store.reviews(),
    reminders: store.reminders(),
    organisations: store.organisations(),
    deliveries: store.deliveries(),
    mailer: folderMailer(join(dataDir, 'outbox')),
    serviceUrl,
  })();
  documentClient().destroy();
  process.stdout.write(
    `reminders: ${run.owed} owed, ${run.sent} sent, ${run.alreadySent} sent before, ${run.withoutAddress} organisations without an address\n`,
  );
} catch (err) {
  if (!(err instanceof LocalError)) throw err;
  process.stderr.write(`reminders: ${err.message}\n`);
  process.exitCode = 1;
}
