import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Build dist/ first (some tests run the built code), then trust the sandbox CA.
    globalSetup: ['test/setup/build-dist.ts', 'test/setup/sandbox-ca.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    env: { NO_COLOR: '1' },
  },
});
