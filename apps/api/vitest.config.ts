import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// SWC keeps decorator metadata, which Nest's dependency injection needs (esbuild drops it).
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    // Catch a transaction body that bypasses its manager (database/sqlite-connection-gate.ts).
    env: { BASTION_STRICT_TRANSACTIONS: '1' },
    include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
    // Load, fault and fuzz suites run apart: `pnpm test:reliability` (vitest.reliability.config.ts).
    exclude: ['**/node_modules/**', 'test/reliability/**'],
    globalSetup: ['test/harness/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
