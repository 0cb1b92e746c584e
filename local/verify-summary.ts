import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { JSONWebKeySet } from 'jose';
import { keyFileSigner } from '../functions/platform/signing/key-file.ts';
import { LocalError, locate } from './instance.ts';
import { serviceKeyFile } from './runtime.ts';
import { verifySummary } from './summary-verifier.ts';

// `npm run verify-summary -- <file> [--jwks <file>] [--at <ISO time>]`: checks a signed crisis
// summary offline and prints it, or why it is not valid (exit 1). Without --jwks, the public key
// of the local server's signing key (DATA_DIR, or the one running).
const usage = 'usage: npm run verify-summary -- <file> [--jwks <jwks.json>] [--at <ISO time>]';

const localKeys = async (): Promise<JSONWebKeySet> => {
  const keyFile = serviceKeyFile(locate().dataDir);
  if (!existsSync(keyFile))
    throw new LocalError(
      `no --jwks given and no local signing key at ${keyFile}: save the service's /.well-known/jwks.json and pass --jwks`,
    );
  return (await keyFileSigner({ keyFile }).publicKeys()) as JSONWebKeySet;
};

try {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { jwks: { type: 'string' }, at: { type: 'string' } },
  });
  const [file] = positionals;
  if (file === undefined) throw new Error('give the file holding the signed summary');
  const at = values.at === undefined ? new Date() : new Date(values.at);
  if (Number.isNaN(at.getTime())) throw new Error('--at must be an ISO date and time');
  const jwks = values.jwks
    ? (JSON.parse(readFileSync(values.jwks, 'utf8')) as JSONWebKeySet)
    : await localKeys();
  const verdict = await verifySummary(readFileSync(file, 'utf8'), jwks, at);
  if (verdict.valid) {
    process.stdout.write(`${JSON.stringify(verdict.summary, null, 2)}\n`);
    process.stderr.write(`valid: signed by key ${verdict.kid}, until ${verdict.expiresAt}\n`);
  } else {
    process.stderr.write(`not valid (${verdict.reason}): ${verdict.detail}\n`);
    process.exitCode = 1;
  }
} catch (err) {
  process.stderr.write(`verify-summary: ${err instanceof Error ? err.message : String(err)}\n`);
  if (!(err instanceof LocalError)) process.stderr.write(`${usage}\n`);
  process.exitCode = 2;
}
