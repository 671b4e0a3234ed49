// Worker entry: the Hono app plus the Durable Object classes it binds.
import { app } from './app'
import type { Env } from './env'

export { StoreDO } from '../durable-objects/store'
export { TableDO } from '../durable-objects/table'

export default {
  fetch: (request: Request, env: Env, ctx: ExecutionContext) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>
