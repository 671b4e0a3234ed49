// `env` from cloudflare:test is typed as Cloudflare.Env: make it this Worker's Env.
import type { Env as WorkerEnv } from '../../workers/env'

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
  }
}
