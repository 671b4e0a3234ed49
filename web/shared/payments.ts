// Paying and refunding from the browser: the API calls of the diner (pay a round or the table's bill,
// confirm on return from the cashier, ask for a refund) and of staff (an order's money, line refunds,
// money alerts), with their answer types. Types only from core: the apps never validate with zod.
import type {
  Checkout,
  MoneyAlert,
  PaymentRecord,
  ProviderName,
  RefundLine,
  RefundRecord,
} from '../../core/payment-types'
import type { ClientPayParams } from '../../workers/payments/provider'
import { ApiError, api } from './api'

export type { ClientPayParams, MoneyAlert, ProviderName }

export interface ProviderInfo {
  provider: ProviderName
  channels: string[]
}

/** 201 of POST /table/orders/:id/pay and /table/checkout. */
export interface PayStart {
  checkoutId: string
  amountFen: number
  expiresAt: number
  orderIds: string[]
  pay: ClientPayParams
}

/** POST /table/checkouts/:id/confirm */
export interface CheckoutResult {
  checkoutId: string
  state: Checkout['state']
  paid: boolean
  orderIds: string[]
}

/** GET /stores/:id/orders/:orderId/money */
export interface OrderMoney {
  checkouts: Checkout[]
  payments: PaymentRecord[]
  refunds: RefundRecord[]
}

// ---------- providers ----------

let providersOnce: Promise<ProviderInfo[]> | null = null

/** What this deployment can take; empty (pay at the counter) when none is configured or on failure. */
export function loadProviders(): Promise<ProviderInfo[]> {
  providersOnce ??= api<{ providers: ProviderInfo[] }>('/api/v1/payments/providers')
    .then((r) => (Array.isArray(r.providers) ? r.providers : []))
    .catch(() => {
      providersOnce = null
      return []
    })
  return providersOnce
}

/**
 * The channel for a page in a mobile browser: WeChat H5 pay and Alipay's WAP cashier. JSAPI (inside
 * WeChat) and mini need a payer login from a mini-program, which this H5 does not have.
 */
export function browserChannel(provider: ProviderName): 'h5' | 'wap' {
  return provider === 'wechat' ? 'h5' : 'wap'
}

// ---------- the diner pays ----------

/** Query parameters the cashier adds on the way back: ours, and Alipay's signed return fields. */
const RETURN_PARAMS = [
  'checkout',
  'app_id',
  'auth_app_id',
  'charset',
  'method',
  'out_trade_no',
  'seller_id',
  'sign',
  'sign_type',
  'timestamp',
  'total_amount',
  'trade_no',
  'version',
]

/** This page's address without what a cashier appended: where the cashier should send the diner back. */
export function returnUrl(): string {
  const u = new URL(location.href)
  for (const k of RETURN_PARAMS) u.searchParams.delete(k)
  u.hash = ''
  return u.toString()
}

/**
 * Back from a cashier: the checkout id in the URL (ours, else Alipay's out_trade_no), and the URL cleaned
 * so a reload does not confirm again.
 */
export function takeReturnedCheckout(): string | null {
  const u = new URL(location.href)
  const trade = u.searchParams.get('out_trade_no')
  const id = u.searchParams.get('checkout') ?? (trade && /^(ord|chk)_/.test(trade) ? trade : null)
  if (!RETURN_PARAMS.some((k) => u.searchParams.has(k))) return null
  history.replaceState(history.state, '', returnUrl())
  return id && /^(ord|chk)_[0-9A-Z]{26}$/.test(id) ? id : null
}

export function payRound(token: string, orderId: string, provider: ProviderName): Promise<PayStart> {
  return api<PayStart>(`/api/v1/table/orders/${encodeURIComponent(orderId)}/pay`, {
    token,
    body: { provider, channel: browserChannel(provider), returnUrl: returnUrl() },
  })
}

export function payBill(token: string, provider: ProviderName): Promise<PayStart> {
  return api<PayStart>('/api/v1/table/checkout', {
    token,
    body: { provider, channel: browserChannel(provider), returnUrl: returnUrl() },
  })
}

export function confirmCheckout(token: string, checkoutId: string): Promise<CheckoutResult> {
  return api<CheckoutResult>(`/api/v1/table/checkouts/${encodeURIComponent(checkoutId)}/confirm`, {
    token,
    body: {},
  })
}

interface WeixinBridge {
  invoke(name: string, params: object, cb: (res: { err_msg?: string }) => void): void
}

/**
 * Hand the diner to the provider. `redirected`: the page is leaving for the cashier (it comes back with
 * ?checkout=…). `done` / `cancelled`: an in-app sheet (WeChat's JSAPI) answered here.
 */
export function openCashier(pay: ClientPayParams): Promise<'redirected' | 'done' | 'cancelled'> {
  if (pay.kind === 'redirect') {
    location.href = pay.url
    return Promise.resolve('redirected')
  }
  const bridge = (window as unknown as { WeixinJSBridge?: WeixinBridge }).WeixinJSBridge
  if (pay.kind === 'wechat_jsapi' && bridge) {
    const { kind: _kind, ...params } = pay
    return new Promise((resolve) =>
      bridge.invoke('getBrandWCPayRequest', params, (res) =>
        resolve(res.err_msg === 'get_brand_wcpay_request:ok' ? 'done' : 'cancelled'),
      ),
    )
  }
  return Promise.reject(new ApiError('PAYMENT_UNSUPPORTED', '请在微信或支付宝中打开本页支付'))
}

/** The diner asks for a refund; the answer is the order as a diner sees it. */
export function requestRefund(
  token: string,
  orderId: string,
  reason: string,
): Promise<{ id: string; state: string; paid: boolean }> {
  return api(`/api/v1/table/orders/${encodeURIComponent(orderId)}/refund`, {
    token,
    body: { reason },
  })
}

// ---------- staff ----------

const storePath = (storeId: string) => `/api/v1/stores/${storeId}`

export function orderMoney(storeId: string, token: string, orderId: string): Promise<OrderMoney> {
  return api<OrderMoney>(`${storePath(storeId)}/orders/${encodeURIComponent(orderId)}/money`, { token })
}

export function refundOrderLines(
  storeId: string,
  token: string,
  orderId: string,
  lines: RefundLine[],
  reason: string,
): Promise<{ refundId: string; amountFen: number }> {
  return api(`${storePath(storeId)}/orders/${encodeURIComponent(orderId)}/refunds`, {
    token,
    body: { lines, reason },
  })
}

/** Send back money that paid nothing (an amount that did not match). */
export function refundPayment(
  storeId: string,
  token: string,
  paymentId: string,
  reason: string,
): Promise<{ refundId: string }> {
  return api(`${storePath(storeId)}/payments/${encodeURIComponent(paymentId)}/refund`, {
    token,
    body: { reason },
  })
}

export function retryRefund(storeId: string, token: string, refundId: string): Promise<{ refundId: string }> {
  return api(`${storePath(storeId)}/refunds/${encodeURIComponent(refundId)}/retry`, { token, body: {} })
}

/** One key per alert, to tell a new one from one already shown. */
export const alertKey = (a: MoneyAlert) =>
  `${a.kind}:${a.paymentId ?? ''}:${a.refundId ?? ''}:${a.checkoutId}:${a.at}`
