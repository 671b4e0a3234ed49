// Worker entry: the Hono app plus the Durable Object classes it binds.
import { PROVIDERS } from '../core/payment-types'
import { app } from './app'
import type { Env } from './env'
import { configuredProviders } from './payments/index'
import { runReconciliation, yesterdayInBeijing } from './payments/reconcile'

export { CustomerDO } from '../durable-objects/customer'
export { GeoCellDO } from '../durable-objects/geo-cell'
export { RiderDO } from '../durable-objects/rider'
export { StoreDO } from '../durable-objects/store'
export { StoreIndexDO } from '../durable-objects/store-index'
export { TableDO } from '../durable-objects/table'

export default {
  fetch: (request: Request, env: Env, ctx: ExecutionContext) => app.fetch(request, env, ctx),
  /** Daily reconciliation (wrangler.toml [triggers]): yesterday's bill of every configured provider. */
  async scheduled(_event: ScheduledController, env: Env, ctx: ExecutionContext) {
    const day = yesterdayInBeijing()
    for (const { provider } of configuredProviders(env))
      if ((PROVIDERS as readonly string[]).includes(provider))
        ctx.waitUntil(
          runReconciliation(env, provider, day).catch((e) =>
            console.error(`reconcile ${provider} ${day}`, e),
          ),
        )
  },
} satisfies ExportedHandler<Env>
