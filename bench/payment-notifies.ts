// Genuine provider notifies for bench/payments.ts, rendered by the payment sandbox's own code (the same
// signing, AES-GCM sealing and form encoding its notifier sends), never re-implemented here.
import { alipayPaymentNotify } from '../scripts/payment-sandbox/alipay'
import type { PaymentSandbox } from '../scripts/payment-sandbox/sandbox'
import type { SandboxProvider, SandboxTrade } from '../scripts/payment-sandbox/state'
import { wechatPaymentNotify } from '../scripts/payment-sandbox/wechat'

export interface BenchNotify {
  provider: SandboxProvider
  outTradeNo: string
  url: string
  headers: Record<string, string>
  body: string
}

/**
 * Pay every trade at the sandbox without letting it deliver (a `drop` fault per trade: the sandbox's
 * notifier must not settle anything before the load phase), so the sandbox agrees with what the notifies say.
 */
export async function payQuietly(
  sb: PaymentSandbox,
  trades: { provider: SandboxProvider; outTradeNo: string }[],
): Promise<SandboxTrade[]> {
  for (const provider of ['wechat', 'alipay'] as const) {
    const times = trades.filter((t) => t.provider === provider).length
    if (times > 0) sb.addFault({ provider, target: 'payment', action: 'drop', times })
  }
  const paid: SandboxTrade[] = []
  for (const t of trades) paid.push(await sb.pay({ provider: t.provider, outTradeNo: t.outTradeNo }))
  return paid
}

/**
 * One signed TRANSACTION.SUCCESS (WeChat: JSON envelope, resource sealed with the APIv3 key, RSA-signed
 * headers) or trade_status_sync form (Alipay: RSA2 over the sorted params), timestamped now.
 */
export async function renderNotify(sb: PaymentSandbox, trade: SandboxTrade): Promise<BenchNotify> {
  const job = trade.provider === 'wechat' ? wechatPaymentNotify(sb, trade) : alipayPaymentNotify(sb, trade)
  if (!job) throw new Error(`trade ${trade.outTradeNo} has no notify_url`)
  const { headers, body } = await job.render({ stale: false })
  return { provider: trade.provider, outTradeNo: trade.outTradeNo, url: job.url, headers, body }
}

/**
 * A paid trade as it would look for a store id the Worker refuses before any Durable Object is asked
 * (attach is not a 3-digit store id): its notify measures verification + decryption alone.
 */
export function unroutable(trade: SandboxTrade, i: number): SandboxTrade {
  return {
    ...trade,
    attach: 'bench-unroutable',
    transactionId: `${trade.transactionId ?? ''}`.replace(/\d{6}$/, String(100000 + (i % 900000))),
  }
}

/** The reply a provider takes as "received": WeChat any 2xx (we send 204), Alipay the body `success`. */
export function acked(provider: SandboxProvider, status: number, text: string): boolean {
  return provider === 'wechat' ? status >= 200 && status < 300 : text === 'success'
}
