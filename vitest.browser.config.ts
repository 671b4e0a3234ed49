import { defineConfig } from 'vitest/config'
import { ciReport } from './vitest.shared'

// Real Chromium against a throwaway `wrangler dev` (see test/browser/support.ts). Each file starts its own
// server and browser in beforeAll, so files run one after another and hooks get time for a cold start.
export default defineConfig({
  test: {
    ...ciReport('browser'),
    environment: 'node',
    include: ['test/browser/**/*.test.ts'],
    fileParallelism: false,
    // Why: wrangler dev's first start bundles the Worker and boots workerd, well under this on a slow CI box.
    hookTimeout: 120_000,
    testTimeout: 60_000,
    teardownTimeout: 30_000,
  },
})
