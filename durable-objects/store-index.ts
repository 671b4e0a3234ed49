// StoreIndexDO: which stores deliver into one geohash cell. One object per cell, named by the cell itself
// (5 characters, ~4.9 km, for stores reaching up to COVER_P5_MAX_M; 4 characters, ~39 x 20 km, for the
// few reaching farther). A store writes itself into every cell its delivery area touches when its setup is
// saved (rare), so "who delivers here?" is one read of the diner's two cells (p5 and p4), never a search
// over the city. Each entry carries the store's delivery settings, so the Worker quotes exactly (area,
// fee, 起送价) without asking every store.
import { DurableObject } from 'cloudflare:workers'
import type { DeliverySettings, LatLng } from '../core/geo'
import { cellOf, cellsWithin, haversineM } from '../core/geo'
import type { Env } from '../workers/env'

export interface IndexedStore {
  storeId: string
  name: string
  /** GCJ-02. */
  location: LatLng
  delivery: DeliverySettings
  prepMinutes: number
  /** The setup save this entry comes from: an older write never replaces a newer one. */
  updatedAt: number
}

/**
 * Stores reaching at most this far are indexed in precision-5 cells: a 8 km circle touches about 25 of
 * them at 30°N. Farther reaches go to precision-4 cells, which keeps a 30 km reach at about 12 cells.
 */
export const COVER_P5_MAX_M = 8_000

/** How far a store's deliveries can reach: the radius, or its farthest polygon corner (capped by brackets). */
export function deliveryReachM(location: LatLng, delivery: DeliverySettings): number {
  const lastBracket = delivery.feeBrackets.at(-1)?.upToM ?? 0
  if (delivery.area.kind === 'radius') return Math.min(delivery.area.radiusM, lastBracket)
  const far = Math.max(...delivery.area.points.map((p) => haversineM(location, p)))
  return Math.min(Math.ceil(far), lastBracket)
}

/** The index cells a store is written into: every cell its area touches, at one precision. */
export function coverCells(location: LatLng, delivery: DeliverySettings): string[] {
  const reach = deliveryReachM(location, delivery)
  return cellsWithin(location, reach, reach <= COVER_P5_MAX_M ? 5 : 4).sort()
}

/** The index cells to read for a diner at `p`: one per precision. */
export function lookupCells(p: LatLng): string[] {
  return [cellOf(p, 5), cellOf(p, 4)]
}

export class StoreIndexDO extends DurableObject<Env> {
  private readonly sql: SqlStorage

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.sql = ctx.storage.sql
    this.sql.exec(`CREATE TABLE IF NOT EXISTS stores (store_id TEXT PRIMARY KEY, updated_at INTEGER NOT NULL,
      json TEXT NOT NULL)`)
  }

  /** Add or replace a store's entry, unless a newer one is already here. */
  put(entry: IndexedStore): { stored: boolean } {
    const n = this.sql.exec(
      `INSERT INTO stores (store_id, updated_at, json) VALUES (?, ?, ?)
       ON CONFLICT (store_id) DO UPDATE SET updated_at = excluded.updated_at, json = excluded.json
       WHERE excluded.updated_at >= stores.updated_at`,
      entry.storeId,
      entry.updatedAt,
      JSON.stringify(entry),
    ).rowsWritten
    return { stored: n > 0 }
  }

  /** The store no longer delivers here (moved, smaller area, stopped delivering) as of `updatedAt`. */
  remove(storeId: string, updatedAt: number): { removed: boolean } {
    const n = this.sql.exec(
      'DELETE FROM stores WHERE store_id = ? AND updated_at <= ?',
      storeId,
      updatedAt,
    ).rowsWritten
    return { removed: n > 0 }
  }

  list(): IndexedStore[] {
    return this.sql
      .exec<{ json: string }>('SELECT json FROM stores')
      .toArray()
      .map((r) => JSON.parse(r.json) as IndexedStore)
  }
}
