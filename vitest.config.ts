import { defineConfig } from 'vitest/config'

/** Unit and simulation tests run in Node; tests/e2e belongs to Playwright. */
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/sim/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
  },
  define: { __APP_VERSION__: JSON.stringify('test') },
})
