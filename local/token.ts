import { parseArgs } from 'node:util';
import { devClaims, ensureDevIssuer } from './dev-issuer.ts';
import { failCommand, signingDataDir } from './instance.ts';

// Prints a dev bearer token and nothing else, so `TOKEN=$(npm run -s token -- ...)` works. It signs
// with the keys of the running server (local/instance.ts), never with a key pair of its own.
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
  const { kind, claims } = devClaims({ ...values, role: values.role });
  const token = ensureDevIssuer(signingDataDir()).sign(claims, kind);
  process.stdout.write(`${token}\n`);
} catch (err) {
  failCommand('token', usage, err);
}
