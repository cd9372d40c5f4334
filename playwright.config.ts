import { defineConfig } from '@playwright/test'

/**
 * Real-browser tests. Each spec launches its own Chromium *processes* (see
 * tests/e2e/harness.ts) and starts its own signaling server, so nothing is
 * shared between specs and CI starts nothing for us. One worker: the machine
 * has two cores and a spec may run three browsers at once.
 */
export default defineConfig({
  testDir: 'tests/e2e',
  testMatch: /.*\.spec\.ts$/,
  workers: 1,
  fullyParallel: false,
  timeout: 180_000,
  expect: { timeout: 30_000 },
  retries: 0,
  reporter: process.env.CI ? [['list']] : [['list']],
  globalSetup: './tests/e2e/global-setup.ts',
})
