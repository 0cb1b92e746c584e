import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Handlers log through Powertools: keep test output to warnings and worse.
    env: { POWERTOOLS_LOG_LEVEL: 'WARN', AWS_REGION: 'eu-west-2' },
  },
});
