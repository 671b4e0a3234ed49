import { defineConfig } from 'vitest/config'

// Core is pure TypeScript: plain Node is enough (Web Crypto is global in Node 20 as in Workers).
export default defineConfig({
  test: {
    environment: 'node',
    include: ['core/**/*.test.ts', 'scripts/**/*.test.ts'],
  },
})
