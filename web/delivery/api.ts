// The customer's calls (workers/routes/customer.ts) and their answer types. Types only from core: the apps
// never validate with zod. Everything a customer gets back of an address or a rider is masked already.
import type { LatLng } from '../../core/geo/coords'
import type { QuoteStep } from '../../core/geo/delivery-area'
import type { LineRequest } from '../../core/menu'
import type { OrderMode, OrderState } from '../../core/order-machine'
import { api, uuid } from '../shared/api'
import { browserChannel, type PayStart, type ProviderName, returnUrl } from '../shared/payments'

export type Datum = 'WGS84' | 'GCJ02'

export interface CustomerSession {
  token: string
  expiresAt: number
  customer: { id: string; name: string }
}

/** A saved address as answered: masked name, phone and text; no point. */
export interface SavedAddress {
  id: string
  label: string
  name: string
  phone: string
  text: string
  hint: string
  createdAt: number
}

export interface AddressInput {
  label: string
  name: string
  phone: string
  text: string
  lat: number
  lng: number
  datum: Datum
}

export interface NearbyStore {
  storeId: string
  name: string
  distanceM: number
  /** The fee for an order at 起送价; a bigger order may pay less. */
  deliveryFeeFen: number
  packingFeeFen: number
  minOrderFen: number
  freeDeliveryFromFen?: number
  etaMinutes: number
  explanation: QuoteStep[]
}

export interface PriceStep {
  kind: string
  label: string
  amountFen: number
}

/** GET /customer/orders/:id and the answer of POST /customer/orders. */
export interface CustomerOrder {
  id: string
  storeId: string
  mode: OrderMode
  state: OrderState
  paid: boolean
  pickupNo: string
  lines: {
    name: string
    skuName: string
    optionNames: string[]
    qty: number
    note: string
    lineTotalFen: number
  }[]
  totalFen: number
  reason?: string
  createdAt: number
  updatedAt: number
  etaAt?: number
  delivery?: {
    address: { name: string; phone: string; text: string }
    distanceM: number
    feeFen: number
    rider?: { name: string; phone: string }
    pickedUpAt?: number
    deliveredAt?: number
  }
  price: {
    steps: PriceStep[]
    itemsFen: number
    discountFen: number
    feesFen: number
    totalFen: number
  }
  timeline: { state: OrderState; event: string; at: number }[]
  riderPos: { lat: number; lng: number; at: number } | null
}

export interface PlaceOrder {
  storeId: string
  mode: 'delivery' | 'pickup'
  menuVersion: number
  lines: LineRequest[]
  addressId?: string
  note?: string
}

export function startSession(name: string, oldToken?: string): Promise<CustomerSession> {
  return api<CustomerSession>('/api/v1/customers/session', { body: { name }, token: oldToken ?? null })
}

export async function listAddresses(token: string): Promise<SavedAddress[]> {
  return (await api<{ addresses: SavedAddress[] }>('/api/v1/customer/addresses', { token })).addresses
}

export function saveAddress(token: string, a: AddressInput): Promise<SavedAddress> {
  return api<SavedAddress>('/api/v1/customer/addresses', { token, body: a })
}

export function deleteAddress(token: string, id: string): Promise<unknown> {
  return api(`/api/v1/customer/addresses/${encodeURIComponent(id)}`, { token, method: 'DELETE' })
}

export async function nearbyStores(p: LatLng, datum: Datum): Promise<NearbyStore[]> {
  const q = new URLSearchParams({ lat: String(p.lat), lng: String(p.lng), datum })
  return (await api<{ stores: NearbyStore[] }>(`/api/v1/stores/nearby?${q}`)).stores
}

/** `key` is made once per checkout attempt, so a retried tap never places a second order. */
export function placeOrder(token: string, body: PlaceOrder, key: string = uuid()): Promise<CustomerOrder> {
  return api<CustomerOrder>('/api/v1/customer/orders', { token, body, idempotencyKey: key })
}

export function getOrder(token: string, orderId: string): Promise<CustomerOrder> {
  return api<CustomerOrder>(`/api/v1/customer/orders/${encodeURIComponent(orderId)}`, { token })
}

export async function myOrders(
  token: string,
): Promise<{ orderId: string; storeId: string; createdAt: number }[]> {
  return (
    await api<{ orders: { orderId: string; storeId: string; createdAt: number }[] }>(
      '/api/v1/customer/orders',
      { token },
    )
  ).orders
}

export function payOrder(token: string, orderId: string, provider: ProviderName): Promise<PayStart> {
  return api<PayStart>(`/api/v1/customer/orders/${encodeURIComponent(orderId)}/pay`, {
    token,
    body: { provider, channel: browserChannel(provider), returnUrl: returnUrl() },
  })
}

export function confirmCheckout(
  token: string,
  checkoutId: string,
): Promise<{ checkoutId: string; state: string; paid: boolean; orderIds: string[] }> {
  return api(`/api/v1/customer/checkouts/${encodeURIComponent(checkoutId)}/confirm`, { token, body: {} })
}

export function cancelOrder(token: string, orderId: string): Promise<CustomerOrder> {
  return api<CustomerOrder>(`/api/v1/customer/orders/${encodeURIComponent(orderId)}/cancel`, {
    token,
    body: {},
  })
}
