// Postgres history through the production path (Neon driver over WebSocket -> local bridge -> Postgres).
// Uses DATABASE_URL when set, else PGlite in a temp dir:
//   npx vitest run --config vitest.pg.config.ts
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx vitest run --config vitest.pg.config.ts
import { defineConfig } from 'vitest/config'
import { ciReport } from './vitest.shared'

export default defineConfig({
  test: {
    ...ciReport('pg'),
    environment: 'node',
    include: ['test/postgres/**/*.test.ts'],
    // PGlite boots in a few seconds (WASM) and every write opens a WebSocket and a Postgres session.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One database per run; files would otherwise truncate each other's tables.
    fileParallelism: false,
  },
})
