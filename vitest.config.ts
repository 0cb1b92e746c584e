import { defineConfig } from 'vitest/config';

const env = {
  // Handlers log through Powertools: keep test output to warnings and worse.
  POWERTOOLS_LOG_LEVEL: 'WARN',
  AWS_REGION: 'eu-west-2',
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'service',
          include: ['test/**/*.test.ts'],
          exclude: ['test/infra/**'],
          testTimeout: 20_000,
          hookTimeout: 30_000,
          env,
        },
      },
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          // Runs only when an infra suite is queued: both bundled targets, once per run.
          globalSetup: ['test/infra/global-setup.ts'],
          // Unbundled synths in the suites' own hooks: room for a loaded 2-core machine.
          testTimeout: 60_000,
          hookTimeout: 180_000,
          env,
        },
      },
    ],
  },
});
