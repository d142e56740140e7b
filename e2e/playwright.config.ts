import { defineConfig } from '@playwright/test';

// Debian's Chromium; Playwright cannot download its own browser on these machines.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

export default defineConfig({
  testDir: './tests',
  outputDir: './artifacts/test-results',
  forbidOnly: !!process.env.CI,
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  // Web-first assertions: the slowest measured 874 ms on a busy 2-core machine (a 3,000-row
  // result); Playwright's default of 5 s would leave 5.7x, this 11x (apps/api/test/README.md).
  expect: { timeout: 10_000 },
  // E2E_TIMING_LOG=1 adds each assertion's and wait's duration (support/timing-reporter.ts).
  reporter: process.env.E2E_TIMING_LOG ? [['list'], ['./support/timing-reporter.ts']] : [['list']],
  globalSetup: './support/global-setup.ts',
  use: {
    baseURL: process.env.E2E_BASE_URL,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    },
  },
});
