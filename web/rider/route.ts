// Pure helpers over the rider's snapshot: tasks in the order the planned route visits them, and the scene
// the map draws (pins and the line from the rider through the stops). Coordinates GCJ-02 throughout.
import type { RiderSnapshot, RouteStop, TaskView } from '../../core/channels/rider'
import type { LatLng } from '../../core/geo/coords'
import type { MapPin, MapScene } from '../shared/map'

/** The stop a task waits for next: its dropoff once picked up, else its pickup. */
export function nextStopKind(t: TaskView): RouteStop['kind'] {
  return t.status === 'picked_up' ? 'dropoff' : 'pickup'
}

/** Tasks sorted by where their next stop sits on the route; tasks the route does not name go last. */
export function tasksInRouteOrder(tasks: readonly TaskView[], route: readonly RouteStop[]): TaskView[] {
  const rank = (t: TaskView) => {
    const i = route.findIndex((s) => s.orderId === t.orderId && s.kind === nextStopKind(t))
    return i < 0 ? Number.MAX_SAFE_INTEGER : i
  }
  return tasks
    .filter((t) => t.status !== 'delivered')
    .map((t, i) => ({ t, r: rank(t), i }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.t)
}

/** Where a stop is: the route's own point, else the task's (pickup always known; dropoff after pickup). */
export function stopPos(stop: RouteStop, tasks: readonly TaskView[]): LatLng | undefined {
  if (stop.pos) return stop.pos
  const t = tasks.find((x) => x.orderId === stop.orderId)
  if (!t) return undefined
  return stop.kind === 'pickup' ? t.pickup : t.dropoff
}

export function mapScene(state: RiderSnapshot, rider: LatLng | null): MapScene {
  const pins: MapPin[] = []
  const path: LatLng[] = rider ? [rider] : []
  const seen = new Set<string>()
  for (const stop of state.route) {
    const t = state.tasks.find((x) => x.orderId === stop.orderId)
    if (!t || t.status === 'delivered') continue
    const pos = stopPos(stop, state.tasks)
    if (!pos) continue
    path.push(pos)
    // Several orders of one store share one pin.
    const id = stop.kind === 'pickup' ? `store:${t.storeId}` : `drop:${t.orderId}`
    if (seen.has(id)) continue
    seen.add(id)
    pins.push(
      stop.kind === 'pickup'
        ? { id, pos, kind: 'store', label: '取', title: `${t.storeName} ${t.pickupNo}` }
        : { id, pos, kind: 'customer', label: '送', title: `${t.pickupNo} ${t.dropoffHint}` },
    )
  }
  if (rider) pins.push({ id: 'rider', pos: rider, kind: 'rider', label: '我', title: '我的位置' })
  return { pins, path }
}
