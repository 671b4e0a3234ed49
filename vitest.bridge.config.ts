import { defineConfig } from 'vitest/config'
import { ciReport } from './vitest.shared'

// The printer bridge and its virtual printer run in plain Node (TCP sockets, files), never in Workers.
export default defineConfig({
  test: {
    ...ciReport('bridge'),
    environment: 'node',
    include: ['printer-bridge/**/*.test.ts', 'test/kitchen/**/*.test.ts'],
    testTimeout: 60_000,
  },
})
