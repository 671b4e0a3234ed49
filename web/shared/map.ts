// A small Leaflet map for the rider app and the diner's tracking page: pins and a route line, readable with
// no tile server at all (plain background, a scale bar, labelled pins), tiles when one is configured.
//
//   const cfg = await mapConfig()               // GET /api/v1/config, else <… data-tile-url="…">, else none
//   const m = new RouteMap(element, cfg)
//   m.update({ pins: [{ id: 'store', pos, kind: 'store', label: '取' }], path: [a, b, c] })
//   m.destroy()
//
// Every coordinate given to it is GCJ-02 (what the server sends). Tiles of Chinese providers (AMap, Tencent)
// are GCJ-02 too; OSM-style tiles are WGS-84: say so with `datum` and the pins are shifted to match them.
// Leaflet's CSS is bundled from node_modules by scripts/build-web.ts (no CDN).
import 'leaflet/dist/leaflet.css'
import './map.css'
import * as L from 'leaflet'
import { fromGcj02, type LatLng } from '../../core/geo/coords'

export interface MapConfig {
  /** `{z}/{x}/{y}` template; null draws pins and lines on a plain background. */
  tileUrl: string | null
  /** The datum the tiles are drawn in. */
  datum: 'GCJ02' | 'WGS84'
  attribution: string
}

export type PinKind = 'rider' | 'store' | 'customer' | 'hint'

export interface MapPin {
  /** Stable per pin, so it moves instead of being redrawn. */
  id: string
  pos: LatLng
  kind: PinKind
  /** One or two characters in the bubble (取, 送, 我). */
  label: string
  title?: string
}

export interface MapScene {
  pins: MapPin[]
  /** The route in visiting order; drawn as one line. */
  path: LatLng[]
}

const NO_TILES: MapConfig = { tileUrl: null, datum: 'GCJ02', attribution: '' }
/** Street level: a rider's next stops are usually within a few kilometres. */
const DEFAULT_ZOOM = 15
/** Fitting two pins 50 m apart must not zoom into a blank square. */
const MAX_FIT_ZOOM = 17

let configOnce: Promise<MapConfig> | null = null

/**
 * The map's tiles: `GET /api/v1/config` → `{ map: { tileUrl, datum?, attribution? } }` when the server has
 * that route, else the first element with `data-tile-url` (optional `data-tile-datum`,
 * `data-tile-attribution`), else no tiles. Asked once per page.
 */
export function mapConfig(): Promise<MapConfig> {
  configOnce ??= (async () => {
    try {
      const res = await fetch('/api/v1/config', {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(4_000),
      })
      if (res.ok) {
        const body = (await res.json()) as { map?: Partial<MapConfig> } | null
        const m = body?.map
        if (m && typeof m.tileUrl === 'string' && m.tileUrl)
          return {
            tileUrl: m.tileUrl,
            datum: m.datum === 'WGS84' ? 'WGS84' : 'GCJ02',
            attribution: typeof m.attribution === 'string' ? m.attribution : '',
          }
      }
    } catch {
      // No config route, or offline: the page's attribute decides.
    }
    return pageConfig()
  })()
  return configOnce
}

function pageConfig(): MapConfig {
  const el = document.querySelector<HTMLElement>('[data-tile-url]')
  const url = el?.dataset.tileUrl?.trim()
  if (!el || !url) return NO_TILES
  return {
    tileUrl: url,
    datum: el.dataset.tileDatum === 'WGS84' ? 'WGS84' : 'GCJ02',
    attribution: el.dataset.tileAttribution ?? '',
  }
}

export class RouteMap {
  private readonly map: L.Map
  private readonly markers = new Map<string, L.Marker>()
  private readonly line: L.Polyline
  private fittedKey = ''
  private touched = false

  constructor(
    el: HTMLElement,
    private readonly cfg: MapConfig = NO_TILES,
  ) {
    el.classList.add('ec-map', cfg.tileUrl ? 'ec-map-tiles' : 'ec-map-plain')
    this.map = L.map(el, {
      zoomControl: true,
      attributionControl: Boolean(cfg.tileUrl && cfg.attribution),
      // One finger scrolls the page on a phone; the map pans with one finger only once it is touched.
      scrollWheelZoom: false,
    })
    if (cfg.tileUrl)
      L.tileLayer(cfg.tileUrl, {
        maxZoom: 19,
        attribution: cfg.attribution,
        subdomains: cfg.tileUrl.includes('{s}') ? ['1', '2', '3', '4'] : [],
      }).addTo(this.map)
    L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(this.map)
    this.line = L.polyline([], { color: '#f5603a', weight: 4, opacity: 0.85, dashArray: '8 6' }).addTo(
      this.map,
    )
    this.map.on('dragstart zoomstart', (e) => {
      // zoomstart also fires for our own fitBounds; only a user's gesture carries an original event.
      if ((e as L.LeafletEvent & { originalEvent?: Event }).originalEvent || e.type === 'dragstart')
        this.touched = true
    })
  }

  private show(p: LatLng): L.LatLngTuple {
    const q = this.cfg.datum === 'WGS84' ? fromGcj02(p, 'WGS84') : p
    return [q.lat, q.lng]
  }

  /** Draw the scene; pins keep their identity (a moving rider glides, nothing flickers). */
  update(scene: MapScene): void {
    const keep = new Set(scene.pins.map((p) => p.id))
    for (const [id, m] of this.markers)
      if (!keep.has(id)) {
        m.remove()
        this.markers.delete(id)
      }
    for (const p of scene.pins) {
      const at = this.show(p.pos)
      const icon = L.divIcon({
        className: `ec-pin ec-pin-${p.kind}`,
        html: `<span>${escapeHtml(p.label)}</span>`,
        iconSize: [30, 30],
        iconAnchor: [15, 15],
      })
      const m = this.markers.get(p.id)
      if (m) {
        m.setLatLng(at)
        m.setIcon(icon)
      } else
        this.markers.set(
          p.id,
          L.marker(at, {
            icon,
            title: p.title ?? p.label,
            keyboard: false,
            zIndexOffset: p.kind === 'rider' ? 1000 : 0,
          }).addTo(this.map),
        )
    }
    this.line.setLatLngs(scene.path.map((p) => this.show(p)))
    // Refit when the set of stops changes (a new task, a stop done), not on every move of the rider.
    const key = scene.pins
      .filter((p) => p.kind !== 'rider')
      .map((p) => p.id)
      .join(',')
    if (key !== this.fittedKey || !this.map.getZoom()) {
      this.fittedKey = key
      this.touched = false
      this.fit()
    } else if (!this.touched) this.fit()
  }

  /** Frame every pin (or the rider alone at street level). */
  fit(): void {
    const points = [...this.markers.values()].map((m) => m.getLatLng())
    if (points.length === 0) {
      if (!this.map.getZoom()) this.map.setView([30.6586, 104.0648], 12)
      return
    }
    if (points.length === 1) this.map.setView(points[0]!, DEFAULT_ZOOM, { animate: false })
    else
      this.map.fitBounds(L.latLngBounds(points), { padding: [28, 28], maxZoom: MAX_FIT_ZOOM, animate: false })
  }

  /** The element changed size (a panel opened): Leaflet must measure again. */
  resize(): void {
    this.map.invalidateSize()
  }

  destroy(): void {
    this.map.remove()
    this.markers.clear()
  }
}

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  )
}
