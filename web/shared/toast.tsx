// One toast at a time, bottom centre: errors and confirmations. Module-level so non-UI code can call it.
import { useEffect, useState } from 'preact/hooks'

interface Toast {
  id: number
  text: string
  kind: 'info' | 'error'
}

let current: Toast | null = null
let nextId = 1
const listeners = new Set<(t: Toast | null) => void>()

export function toast(text: string, kind: Toast['kind'] = 'info'): void {
  current = { id: nextId++, text, kind }
  for (const fn of listeners) fn(current)
}

export function Toaster() {
  const [t, setT] = useState<Toast | null>(current)
  useEffect(() => {
    listeners.add(setT)
    return () => listeners.delete(setT)
  }, [])
  useEffect(() => {
    if (!t) return
    const timer = setTimeout(() => setT(null), t.kind === 'error' ? 4000 : 2000)
    return () => clearTimeout(timer)
  }, [t])
  if (!t) return null
  return (
    <div key={t.id} class={`toast toast-${t.kind}`} role="status" data-testid="toast" data-kind={t.kind}>
      {t.text}
    </div>
  )
}
