import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { HostSystem } from '../domain/host-system.ts';
import { keyFileSigner } from '../functions/platform/signing/key-file.ts';

/**
 * The demo host system on one machine: "EMIS Web (demo)", id `demo-emis`, signing its assertions
 * with a P-256 key under `DATA_DIR/host-systems/` (ES256). `npm run seed` registers it with its
 * public key inline, and `npm run launch` signs an assertion as it would.
 */
export const demoHostId = 'demo-emis';

/** National RBAC job role codes for the clinical practitioner and nurse; the demo's own for the rest. */
export const demoHostRoles = {
  R8000: 'gp',
  R8001: 'nurse',
  consultant: 'consultant',
  specialist_nurse: 'specialist_nurse',
  hospice_clinician: 'hospice_clinician',
  care_home: 'care_home',
  social_worker: 'social_worker',
  paramedic: 'paramedic',
  call_handler: 'call_handler',
  ed_clinician: 'ed_clinician',
  privacy_officer: 'privacy_officer',
} as const satisfies HostSystem['roles'];

export const demoHostOrganisations = ['A81001', 'A81002', 'B82002', 'H12345'];

const keyFile = (dataDir: string) => join(dataDir, 'host-systems', `${demoHostId}.key.pem`);

export const hasDemoHostKey = (dataDir: string): boolean => existsSync(keyFile(dataDir));

/** The demo host's key (made on first use) and its registry entry. */
export function demoHost(dataDir: string) {
  const signer = keyFileSigner({ keyFile: keyFile(dataDir) });
  return {
    async entry(): Promise<HostSystem> {
      return {
        name: 'EMIS Web (demo)',
        jwks: await signer.publicKeys(),
        organisations: demoHostOrganisations,
        roles: demoHostRoles,
      };
    },
    /** An assertion as the host signs it: `iss`, `aud`, `iat`, `exp` (5 minutes) and `jti` default. */
    assertion(claims: Record<string, unknown>): Promise<string> {
      const now = Math.floor(Date.now() / 1000);
      return signer.sign(
        {
          iss: demoHostId,
          aud: 'urgent-care-plans',
          iat: now,
          exp: now + 300,
          jti: crypto.randomUUID(),
          ...claims,
        },
        { typ: 'JWT' },
      );
    },
  };
}

/** The demo host's code for one of our roles: the national code where it has one. */
export const demoHostRoleCode = (role: string): string | undefined =>
  Object.entries(demoHostRoles).find(([, ours]) => ours === role)?.[0];
