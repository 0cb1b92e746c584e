import { parseArgs } from 'node:util';
import { issueDevToken } from './dev-issuer.ts';

// Prints a dev bearer token and nothing else, so `TOKEN=$(npm run -s token -- ...)` works.
const usage =
  'usage: npm run token -- --role <role> [--org <ODS code>] [--sub <user id>] [--name <name>] [--nhs <NHS number>]';

try {
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      org: { type: 'string' },
      sub: { type: 'string' },
      name: { type: 'string' },
      nhs: { type: 'string' },
    },
  });
  if (values.role === undefined) throw new Error('--role is required');
  const token = issueDevToken(process.env.DATA_DIR || '.data', { ...values, role: values.role });
  process.stdout.write(`${token}\n`);
} catch (err) {
  process.stderr.write(`token: ${err instanceof Error ? err.message : String(err)}\n${usage}\n`);
  process.exitCode = 2;
}
