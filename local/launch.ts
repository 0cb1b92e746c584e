import { parseArgs } from 'node:util';
import { demoHost, demoHostId, demoHostRoleCode, hasDemoHostKey } from './demo-host.ts';
import { failCommand, LocalError, signingDataDir } from './instance.ts';

// Prints a host system's assertion and nothing else, as the demo host (EMIS Web, say) would sign
// it to launch its user into one patient's plan: exchange it at POST /token (README). It signs
// with the demo host's key that `npm run seed` registered with the running server.
const usage =
  'usage: npm run launch -- --role <role> --org <ODS code> --patient <NHS number> [--host demo-emis] [--sub <user id>] [--name <name>]';

try {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: demoHostId },
      role: { type: 'string' },
      org: { type: 'string' },
      patient: { type: 'string' },
      sub: { type: 'string' },
      name: { type: 'string' },
    },
  });
  if (values.host !== demoHostId)
    throw new Error(`--host: only the demo host ${demoHostId} runs on one machine`);
  if (!values.role || !values.org || !values.patient)
    throw new Error('--role, --org and --patient are required');
  const dataDir = signingDataDir();
  if (!hasDemoHostKey(dataDir))
    throw new LocalError(`the demo host ${demoHostId} is not registered here yet: run npm run seed first`);
  const code = demoHostRoleCode(values.role);
  if (!code) throw new Error(`--role ${values.role}: the demo host has no code for it`);
  const assertion = await demoHost(dataDir).assertion({
    sub: values.sub ?? `${values.role}.${values.org.toLowerCase()}`,
    ods: values.org,
    role: code,
    patient: values.patient.replace(/\s/g, ''),
    ...(values.name && { name: values.name }),
  });
  process.stdout.write(`${assertion}\n`);
} catch (err) {
  failCommand('launch', usage, err);
}
