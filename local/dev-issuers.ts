import { ensureDevIssuer } from './dev-issuer.ts';
import { dataDirOf } from './instance.ts';

// Prints the TRUSTED_ISSUERS JSON of the one-machine dev issuer of DATA_DIR (default .data), making
// its keys if there are none: the explicit step before a LocalStack synth or deploy, so that
// `npm run token` tokens work against it and the synth itself only reads configuration.
process.stdout.write(`${JSON.stringify(ensureDevIssuer(dataDirOf(process.env)).trustedIssuers)}\n`);
