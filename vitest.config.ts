import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    setupFiles: ['__tests__/setup/loopback-only.ts', '__tests__/setup/quiet-workflow-commands.ts'],
    passWithNoTests: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    expect: { requireAssertions: true },
  },
});
