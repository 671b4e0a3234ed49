// Stores that deliver to the address in use, nearest first, with what delivery costs and how long it takes.
import { useEffect, useState } from 'preact/hooks'
import { formatFen } from '../../core/money'
import { describeError } from '../shared/errors'
import { type NearbyStore, nearbyStores } from './api'
import type { KeptPoint } from './session'

export function distanceText(m: number): string {
  return m < 1000 ? `${Math.round(m)}m` : `${(m / 1000).toFixed(1)}km`
}

export function StoreList(props: { point: KeptPoint; onOpen: (s: NearbyStore) => void }) {
  const [stores, setStores] = useState<NearbyStore[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const { lat, lng, datum } = props.point

  const load = () => {
    setError(null)
    nearbyStores({ lat, lng }, datum)
      .then(setStores)
      .catch((e) => setError(describeError(e)))
  }
  useEffect(load, [lat, lng, datum])

  if (error)
    return (
      <div class="center-screen">
        <div>{error}</div>
        <button type="button" class="btn btn-primary" onClick={load}>
          重试
        </button>
      </div>
    )
  if (!stores) return <div class="center-screen muted">正在查找附近的门店…</div>
  if (stores.length === 0)
    return (
      <div class="center-screen" data-testid="stores-empty">
        <span class="big-emoji">🛵</span>
        <div>这个地址附近暂时没有可配送的门店</div>
        <div class="muted small">换个地址试试，或到店自提</div>
      </div>
    )
  return (
    <ul class="store-list" data-testid="store-list">
      {stores.map((s) => (
        <li key={s.storeId}>
          <button
            type="button"
            class="store-card"
            data-testid={`store-${s.storeId}`}
            onClick={() => props.onOpen(s)}
          >
            <div class="store-tile" aria-hidden="true">
              {s.name.slice(0, 1)}
            </div>
            <div class="store-main">
              <div class="store-title">{s.name}</div>
              <div class="store-facts small">
                <span data-testid="store-eta">约{s.etaMinutes}分钟</span>
                <span data-testid="store-distance">{distanceText(s.distanceM)}</span>
              </div>
              <div class="store-facts small muted">
                <span data-testid="store-min">起送 {formatFen(s.minOrderFen)}</span>
                <span data-testid="store-fee">配送费 {formatFen(s.deliveryFeeFen)}</span>
                {s.packingFeeFen > 0 && <span>打包费 {formatFen(s.packingFeeFen)}</span>}
              </div>
              {s.freeDeliveryFromFen !== undefined && (
                <div class="store-promo small">满{formatFen(s.freeDeliveryFromFen)}免配送费</div>
              )}
            </div>
          </button>
        </li>
      ))}
    </ul>
  )
}
