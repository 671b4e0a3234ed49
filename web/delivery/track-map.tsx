// The order's map: the store, the door and the rider, drawn with web/shared/map.ts (plain background and a
// scale bar when no tile server is configured). The rider's pin moves with each position message. The
// wrapper carries the rider's last position as data attributes, for tests and for screen readers' text.
import { useEffect, useRef, useState } from 'preact/hooks'
import type { LatLng } from '../../core/geo/coords'
import { type MapPin, mapConfig, RouteMap } from '../shared/map'

export function TrackMap(props: {
  store: LatLng | null
  door: LatLng | null
  rider: { lat: number; lng: number; at: number } | null
  /** The rider has the food: the route is rider -> door, else rider -> store -> door. */
  pickedUp: boolean
  /** No rider yet, but one will come: the legend says the pin appears once a rider takes the order. */
  awaitingRider: boolean
}) {
  const el = useRef<HTMLDivElement>(null)
  const [map, setMap] = useState<RouteMap | null>(null)

  useEffect(() => {
    let dead = false
    let made: RouteMap | null = null
    void mapConfig().then((cfg) => {
      if (dead || !el.current) return
      made = new RouteMap(el.current, cfg)
      setMap(made)
    })
    return () => {
      dead = true
      made?.destroy()
    }
  }, [])

  const { store, door, rider, pickedUp } = props
  useEffect(() => {
    if (!map) return
    const pins: MapPin[] = []
    if (store) pins.push({ id: 'store', pos: store, kind: 'store', label: '店', title: '门店' })
    if (door) pins.push({ id: 'door', pos: door, kind: 'customer', label: '我', title: '收货地址' })
    if (rider) pins.push({ id: 'rider', pos: rider, kind: 'rider', label: '骑', title: '骑手' })
    const path = rider
      ? [rider, ...(pickedUp || !store ? [] : [store]), ...(door ? [door] : [])]
      : store && door
        ? [store, door]
        : []
    map.update({ pins, path })
  }, [map, store?.lat, store?.lng, door?.lat, door?.lng, rider?.lat, rider?.lng, pickedUp])

  return (
    <div
      class="track-map-wrap"
      data-testid="track-map"
      data-rider={rider ? 'shown' : 'none'}
      data-rider-lat={rider?.lat ?? ''}
      data-rider-lng={rider?.lng ?? ''}
      data-rider-at={rider?.at ?? ''}
    >
      <div class="track-map" ref={el} />
      <div class="map-legend small">
        <span>
          <i class="dot dot-store" />
          门店
        </span>
        {door && (
          <span>
            <i class="dot dot-door" />
            收货地址
          </span>
        )}
        {(rider || props.awaitingRider) && (
          <span>
            <i class="dot dot-rider" />
            {rider ? '骑手' : '骑手（接单后显示）'}
          </span>
        )}
      </div>
    </div>
  )
}
