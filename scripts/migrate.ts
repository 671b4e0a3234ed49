// Applies drizzle/ migrations to the history database through the same path production writes take:
// @neondatabase/serverless over WebSocket (via the local bridge when NEON_WS_PROXY is set).
//   DATABASE_URL=postgres://… [NEON_WS_PROXY=localhost:5488] tsx scripts/migrate.ts
// On Neon, use the direct (non -pooler) URL: migrations run DDL in a transaction and take locks.
import { fileURLToPath, pathToFileURL } from 'node:url'
import { neonConfig } from '@neondatabase/serverless'
import { drizzle } from 'drizzle-orm/neon-serverless'
import { migrate } from 'drizzle-orm/neon-serverless/migrator'
import ws from 'ws'
import { historyPool } from '../workers/history/neon-config'

const MIGRATIONS = fileURLToPath(new URL('../drizzle', import.meta.url))

export async function migrateDatabase(databaseUrl: string, wsProxy?: string): Promise<void> {
  // Node 20 has no global WebSocket; the driver needs one.
  neonConfig.webSocketConstructor = ws
  const pool = historyPool(databaseUrl, wsProxy)
  pool.on('error', () => {})
  try {
    await migrate(drizzle({ client: pool }), { migrationsFolder: MIGRATIONS })
  } finally {
    await pool.end()
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const url = process.env.DATABASE_URL
  if (!url) {
    console.error('DATABASE_URL is not set')
    process.exit(2)
  }
  migrateDatabase(url, process.env.NEON_WS_PROXY || undefined).then(
    () => console.log('history database is up to date'),
    (e) => {
      console.error(e)
      process.exit(1)
    },
  )
}
