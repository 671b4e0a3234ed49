import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'
import { ciReport } from './vitest.shared'

// Worker + Durable Objects in workerd, configured from wrangler.toml. Secrets below are TEST FIXTURES.
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          TOKEN_SECRET: 'test-fixture-token-secret-not-for-production',
          TABLE_CODE_SECRET: 'test-fixture-table-code-secret',
          ADMIN_TOKEN: 'test-fixture-admin-token',
          PUBLIC_BASE_URL: 'http://example.test',
        },
      },
    }),
  ],
  test: {
    ...ciReport('workers'),
    include: ['test/workers/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
