import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

/**
 * `pnpm test:reliability`: fuzzing, load, faults and leak scans (test/reliability only). Files
 * run one at a time: the load and fault tests measure the machine and must not share its two
 * cores with another suite.
 */
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    // Catch a transaction body that bypasses its manager (database/sqlite-connection-gate.ts).
    env: { BASTION_STRICT_TRANSACTIONS: '1' },
    include: ['test/reliability/**/*.spec.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
