// The route map on the shift screen: the rider (the phone's own fix when it has one, else the last one the
// server accepted), the stores to pick up from, and the customers once their food is on board.
import { useEffect, useRef, useState } from 'preact/hooks'
import type { RiderSnapshot } from '../../core/channels/rider'
import { type LatLng, toGcj02 } from '../../core/geo/coords'
import { mapConfig, RouteMap } from '../shared/map'
import type { GpsView } from './locate'
import { mapScene } from './route'

export function RiderMap({ state, gps }: { state: RiderSnapshot; gps: GpsView | null }) {
  const el = useRef<HTMLDivElement>(null)
  const [map, setMap] = useState<RouteMap | null>(null)

  useEffect(() => {
    let live = true
    let made: RouteMap | null = null
    void mapConfig().then((cfg) => {
      if (!live || !el.current) return
      made = new RouteMap(el.current, cfg)
      setMap(made)
    })
    return () => {
      live = false
      made?.destroy()
    }
  }, [])

  // The device speaks WGS-84; the map and the server's points are GCJ-02.
  const fix = gps?.fix
  const rider: LatLng | null = fix
    ? toGcj02({ lat: fix.lat, lng: fix.lng }, 'WGS84')
    : state.position
      ? { lat: state.position.lat, lng: state.position.lng }
      : null
  const scene = mapScene(state, rider)
  const key = JSON.stringify(scene)
  useEffect(() => {
    map?.update(scene)
  }, [map, key])

  return (
    <section class="r-card r-map-card">
      <div
        ref={el}
        class="r-map"
        data-testid="route-map"
        data-pins={scene.pins.map((p) => p.kind).join(',')}
      />
      <button type="button" class="r-map-fit" onClick={() => map?.fit()}>
        全览
      </button>
    </section>
  )
}
