// Closed-loop load: `concurrency` workers, each owning its own slot, until `total` tasks are done.

/** Run `task` with `concurrency` workers until `total` are done; latency of each in ms. */
export async function load(
  total: number,
  concurrency: number,
  task: (i: number, worker: number) => Promise<void>,
) {
  const lat: number[] = []
  let next = 0
  let errors = 0
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = next++; i < total; i = next++) {
        const s = performance.now()
        try {
          await task(i, worker)
          lat.push(performance.now() - s)
        } catch (e) {
          errors++
          if (errors < 4) console.error(String(e))
        }
      }
    }),
  )
  const secs = (performance.now() - t0) / 1000
  lat.sort((a, b) => a - b)
  const q = (p: number) =>
    Math.round((lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? 0) * 10) / 10
  return { perSec: Math.round(lat.length / secs), p50: q(0.5), p99: q(0.99), ok: lat.length, errors }
}
