import { defineConfig } from 'vitest/config'
import { ciReport } from './vitest.shared'

// Worker-side code that needs no runtime bindings (printer drivers and payment providers on fetch + Web
// Crypto), tested in plain Node against local fakes and the payment sandbox over real HTTP. Independent
// of Postgres and workerd.
export default defineConfig({
  test: {
    ...ciReport('node'),
    environment: 'node',
    include: ['workers/printers/**/*.test.ts', 'workers/payments/**/*.test.ts', 'test/payments/**/*.test.ts'],
    testTimeout: 30_000,
  },
})
