import { defineConfig } from 'vitest/config'
import { ciReport } from './vitest.shared'

// Worker-side code that needs no runtime bindings (printer drivers on fetch + Web Crypto), tested in plain
// Node against local fakes over real HTTP. Independent of Postgres and workerd.
export default defineConfig({
  test: {
    ...ciReport('node'),
    environment: 'node',
    include: ['workers/printers/**/*.test.ts'],
  },
})
