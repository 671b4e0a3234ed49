import { defineConfig } from 'vitest/config'
import { ciReport } from './vitest.shared'

// Core is pure TypeScript: plain Node is enough (Web Crypto is global in Node 20 as in Workers).
export default defineConfig({
  test: {
    ...ciReport('core'),
    environment: 'node',
    include: ['core/**/*.test.ts', 'scripts/**/*.test.ts'],
  },
})
