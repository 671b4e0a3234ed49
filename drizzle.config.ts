// drizzle-kit: `npm run db:generate` turns changes of the history schema into SQL under drizzle/, which
// `npm run db:migrate` (scripts/migrate.ts) applies. Generated files are committed and never edited.
import { defineConfig } from 'drizzle-kit'

export default defineConfig({
  dialect: 'postgresql',
  schema: './workers/history/schema.ts',
  out: './drizzle',
})
