// Tap the map to place the door. The point comes back in the datum of the map the customer looked at: the
// tiles' datum (GCJ-02 for Chinese providers, WGS-84 for OSM-style tiles), GCJ-02 with no tiles. The
// server converts (customer.ts toGcj02). Without tiles the map still shows the scale, the GPS fix and the
// pin, so a point can be nudged from a fix even with no tile server.
import * as L from 'leaflet'
import { useEffect, useRef } from 'preact/hooks'
import { fromGcj02, type LatLng, toGcj02 } from '../../core/geo/coords'
import { type MapConfig, mapConfig } from '../shared/map'
import type { Datum } from './api'

/** Chengdu's centre: where the demo stores are, and a city-sized view for a first tap. */
const DEFAULT_CENTER: L.LatLngTuple = [30.6586, 104.0648]
const DEFAULT_ZOOM = 13
const PICKED_ZOOM = 16

export interface PickedPoint {
  lat: number
  lng: number
  datum: Datum
}

export function PickMap(props: { value: PickedPoint | null; onPick: (p: PickedPoint) => void }) {
  const el = useRef<HTMLDivElement>(null)
  const map = useRef<{ map: L.Map; pin: L.Marker | null; cfg: MapConfig } | null>(null)
  const onPick = useRef(props.onPick)
  onPick.current = props.onPick

  useEffect(() => {
    let dead = false
    void mapConfig().then((cfg) => {
      if (dead || !el.current) return
      el.current.classList.add('ec-map', cfg.tileUrl ? 'ec-map-tiles' : 'ec-map-plain')
      const m = L.map(el.current, {
        attributionControl: Boolean(cfg.tileUrl && cfg.attribution),
        scrollWheelZoom: false,
      })
      if (cfg.tileUrl) L.tileLayer(cfg.tileUrl, { maxZoom: 19, attribution: cfg.attribution }).addTo(m)
      L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(m)
      m.setView(DEFAULT_CENTER, DEFAULT_ZOOM)
      m.on('click', (e: L.LeafletMouseEvent) => {
        // The tap is in the tiles' datum; the customer saw the door there.
        onPick.current({ lat: round6(e.latlng.lat), lng: round6(e.latlng.lng), datum: cfg.datum })
      })
      map.current = { map: m, pin: null, cfg }
      draw(props.value)
    })
    return () => {
      dead = true
      map.current?.map.remove()
      map.current = null
    }
  }, [])

  const draw = (p: PickedPoint | null) => {
    const m = map.current
    if (!m || !p) return
    const shown = inDatum(p, m.cfg.datum)
    const at: L.LatLngTuple = [shown.lat, shown.lng]
    const icon = L.divIcon({
      className: 'ec-pin ec-pin-customer',
      html: '<span>我</span>',
      iconSize: [30, 30],
      iconAnchor: [15, 15],
    })
    if (m.pin) m.pin.setLatLng(at)
    else m.pin = L.marker(at, { icon, keyboard: false }).addTo(m.map)
    m.pin.getElement()?.setAttribute('data-testid', 'pick-pin')
    m.map.setView(at, Math.max(m.map.getZoom(), PICKED_ZOOM), { animate: false })
  }

  useEffect(() => draw(props.value), [props.value?.lat, props.value?.lng, props.value?.datum])

  return <div class="pick-map" ref={el} data-testid="pick-map" />
}

/** A point given in one datum, in another (through GCJ-02, the one everything converts to and from). */
export function inDatum(p: PickedPoint, to: Datum): LatLng {
  if (p.datum === to) return { lat: p.lat, lng: p.lng }
  return fromGcj02(toGcj02({ lat: p.lat, lng: p.lng }, p.datum), to)
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6
