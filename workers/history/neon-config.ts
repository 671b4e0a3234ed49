// How the history writer reaches Postgres with @neondatabase/serverless (Pool over WebSocket), in one
// place for the Worker, scripts and tests. In production the driver talks to Neon's own WebSocket
// endpoint with its defaults. Locally NEON_WS_PROXY names the bridge from scripts/local-db.ts
// (`host:port`, no protocol), which forwards the socket to the Postgres named in DATABASE_URL.
//
// The settings are applied per Pool rather than on the global `neonConfig`, so a process can hold pools
// for different databases (tests do) and nothing leaks between them. No Node-only imports: this runs in
// workerd. In Node < 22, set `neonConfig.webSocketConstructor = ws` once before connecting.
import { Client, type NeonConfig, Pool } from '@neondatabase/serverless'

/** The path the local bridge serves; the target arrives as `?address=host:port`. */
export const WS_PROXY_PATH = '/v2'

export function localProxyConfig(wsProxy: string): Partial<NeonConfig> {
  return {
    wsProxy: (host, port) => `${wsProxy}${WS_PROXY_PATH}?address=${host}:${port}`,
    // The bridge listens on loopback with plain ws://; there is no certificate to present.
    useSecureWebSocket: false,
    // Local Postgres (and PGlite, which cannot) speaks no TLS; the bytes never leave the machine.
    forceDisablePgSSL: true,
    // Pipelining sends a cleartext password before the server asks; local trust auth never asks.
    pipelineConnect: false,
    // Pipelined TLS works only against Neon's proxy.
    pipelineTLS: false,
  }
}

/**
 * A Pool for one unit of work (one drain, one migration). Workers forbid sharing I/O objects between
 * requests, so callers create it per use and always `end()` it.
 */
export function historyPool(databaseUrl: string, wsProxy?: string): Pool {
  // One connection: a drain is one transaction, and a second socket would only cost a handshake.
  const options = { connectionString: databaseUrl, max: 1 }
  if (!wsProxy) return new Pool(options)
  const settings = localProxyConfig(wsProxy)
  // Neon's Pool always builds its own Client class (it ignores the `Client` option), so the override
  // goes on a subclass; each client's socket then carries the local settings.
  class LocalClient extends Client {
    constructor(config?: ConstructorParameters<typeof Client>[0]) {
      super(config)
      Object.assign(this.neonConfig, settings)
    }
  }
  class LocalPool extends Pool {
    override Client = LocalClient
  }
  return new LocalPool(options)
}
