// The sandbox's cashier: what the H5 diner sees instead of WeChat's or Alipay's payment page during
// development. Plain HTML that works without JavaScript: 确认支付 and 取消 are form POSTs.

import { alipayTradeStatus, type SandboxProvider, type SandboxTrade, yuan } from './state'

const esc = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  )

const BRAND: Record<SandboxProvider, { name: string; color: string }> = {
  wechat: { name: '微信支付', color: '#07c160' },
  alipay: { name: '支付宝', color: '#1677ff' },
}

function layout(title: string, color: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
  body { margin: 0; font-family: -apple-system, "PingFang SC", "Noto Sans SC", sans-serif; background: #f5f5f5; color: #222; }
  header { background: ${color}; color: #fff; padding: 14px 16px; font-size: 17px; }
  header small { opacity: .85; margin-left: 6px; font-size: 12px; }
  main { max-width: 480px; margin: 0 auto; padding: 16px; }
  .card { background: #fff; border-radius: 10px; padding: 20px 16px; text-align: center; }
  .amount { font-size: 36px; font-weight: 600; margin: 8px 0 4px; }
  .desc { color: #666; margin: 0 0 12px; word-break: break-all; }
  dl { text-align: left; font-size: 13px; color: #888; margin: 12px 0 0; }
  dt { float: left; width: 6em; } dd { margin: 0 0 6px 6em; word-break: break-all; }
  form { margin: 12px 0 0; }
  button { width: 100%; padding: 13px; font-size: 17px; border: 0; border-radius: 8px; }
  .pay { background: ${color}; color: #fff; }
  .cancel { background: #fff; color: #333; border: 1px solid #ddd; }
  .note { color: #c00; margin: 8px 0; }
</style>
</head>
<body>
<header>${esc(title)}<small>沙箱 · 不会扣款</small></header>
<main>${body}</main>
</body>
</html>`
}

export interface CashierOptions {
  provider: SandboxProvider
  trade: SandboxTrade
  /** The id in the cashier URL: WeChat prepay id / Alipay trade_no. */
  ref: string
  /** WeChat: where the merchant asked the diner to be sent back (redirect_url). */
  redirectUrl?: string
  now: number
  /** A message above the buttons (e.g. why paying failed). */
  note?: string
}

export function cashierPage(o: CashierOptions): string {
  const { trade: t } = o
  const brand = BRAND[o.provider]
  const action = `/cashier/${o.provider}/${encodeURIComponent(o.ref)}`
  const hidden = o.redirectUrl
    ? `<input type="hidden" name="redirect_url" value="${esc(o.redirectUrl)}">`
    : ''
  const expired = t.expiresAt !== undefined && o.now > t.expiresAt
  const closed =
    t.status === 'CLOSED' ||
    (o.provider === 'alipay' && t.status !== 'PAID' && alipayTradeStatus(t, o.now) === 'TRADE_CLOSED')
  const state =
    t.status === 'PAID' ? '订单已支付' : closed ? '订单已关闭' : expired ? '订单已过期，无法支付' : undefined
  const note = o.note ?? state
  const buttons =
    t.status === 'PAID'
      ? ''
      : `<form method="post" action="${action}/pay">${hidden}<button class="pay" type="submit" data-testid="sandbox-pay">确认支付</button></form>`
  return layout(
    brand.name,
    brand.color,
    `<div class="card">
  <p class="desc">${esc(t.description)}</p>
  <div class="amount" data-testid="sandbox-amount">¥${yuan(t.amountFen)}</div>
  ${note ? `<p class="note" data-testid="sandbox-note">${esc(note)}</p>` : ''}
  ${buttons}
  <form method="post" action="${action}/cancel">${hidden}<button class="cancel" type="submit" data-testid="sandbox-cancel">${t.status === 'PAID' ? '返回商户' : '取消支付'}</button></form>
  <dl>
    <dt>商户订单号</dt><dd>${esc(t.outTradeNo)}</dd>
    ${t.transactionId ? `<dt>交易号</dt><dd>${esc(t.transactionId)}</dd>` : ''}
    ${t.expiresAt ? `<dt>支付截止</dt><dd>${esc(new Date(t.expiresAt).toISOString())}</dd>` : ''}
  </dl>
</div>`,
  )
}

/** A bare result page (no return URL to go to, or an error). */
export function resultPage(title: string, message: string, link?: { href: string; text: string }): string {
  return layout(
    title,
    '#555',
    `<div class="card"><p data-testid="sandbox-result">${esc(message)}</p>${
      link ? `<p><a href="${esc(link.href)}">${esc(link.text)}</a></p>` : ''
    }</div>`,
  )
}
