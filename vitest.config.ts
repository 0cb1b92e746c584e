import { defineConfig } from 'vitest/config';

const env = {
  // Handlers log through Powertools: keep test output to warnings and worse.
  POWERTOOLS_LOG_LEVEL: 'WARN',
  AWS_REGION: 'eu-west-2',
};

/**
 * The API story files that run against the rehearsed stack too (`npm run rehearse`): those that
 * speak only HTTP to the service. The rest test the one-machine runtime itself (its process, its
 * own HTTP edges and log lines, its in-process stream) or, as rules.property does, read the store
 * in the test's own process.
 */
export const rehearsedStory = [
  'test/api/story.test.ts',
  'test/api/sharing.test.ts',
  'test/api/organisations.test.ts',
  'test/api/events.test.ts',
  'test/api/errors.test.ts',
  'test/api/docs.test.ts',
  'test/api/seed.test.ts',
  'test/api/generated.test.ts',
];

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
      // Only when `npm run rehearse` names an assembly: every function runs in processes of its own.
      ...(process.env.REHEARSAL_ASSEMBLY
        ? [
            {
              test: {
                name: 'rehearsal',
                include: rehearsedStory,
                testTimeout: 60_000,
                hookTimeout: 120_000,
                // Each file rehearses the whole stack: one at a time keeps a 2-core machine usable.
                fileParallelism: false,
                env,
              },
            },
          ]
        : []),
    ],
  },
});
