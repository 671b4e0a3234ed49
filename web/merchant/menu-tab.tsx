// 沽清: switch dishes off and on, and see what stock is left per spec.

import { useMemo, useState } from 'preact/hooks'
import type { Menu } from '../../core/menu'
import { formatFen } from '../../core/money'
import { sections } from '../shared/menu-sections'

export function MenuTab(props: {
  menu: Menu | null
  soldOut: string[]
  remaining: Record<string, number>
  onSoldOut: (itemId: string, soldOut: boolean) => Promise<void>
}) {
  const [query, setQuery] = useState('')
  const [busy, setBusy] = useState<string | null>(null)
  const all = useMemo(() => (props.menu ? sections(props.menu) : []), [props.menu])
  if (!props.menu) return <div class="center-screen muted">菜单加载中…</div>
  const q = query.trim()
  const toggle = async (itemId: string, soldOut: boolean) => {
    setBusy(itemId)
    await props.onSoldOut(itemId, soldOut)
    setBusy(null)
  }
  return (
    <div class="menu-admin">
      <div class="menu-tools">
        <input
          class="input"
          data-testid="menu-search"
          placeholder="搜索菜品"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
        <span class="muted small">已沽清 {props.soldOut.length} 道</span>
      </div>
      {all.map(({ category: c, items: inCategory }) => {
        const items = q ? inCategory.filter((i) => i.name.includes(q)) : inCategory
        if (!items.length) return null
        return (
          <section key={c.id} class="menu-cat">
            <h2 class="area-title">{c.name}</h2>
            {items.map((item) => {
              const off = props.soldOut.includes(item.id)
              return (
                <div
                  key={item.id}
                  class={`menu-row ${off ? 'off' : ''}`}
                  data-testid={`menu-item-${item.id}`}
                >
                  <div class="menu-row-main">
                    <strong>{item.name}</strong>
                    <div class="menu-skus">
                      {item.skus.map((s) => {
                        const left = props.remaining[s.id]
                        return (
                          <span
                            key={s.id}
                            class={`chip ${left === 0 ? 'tone-bad' : left !== undefined && left <= 5 ? 'tone-wait' : ''}`}
                            data-testid={`stock-${s.id}`}
                          >
                            {s.name} {formatFen(s.priceFen)} · {left === undefined ? '不限量' : `剩${left}`}
                          </span>
                        )
                      })}
                    </div>
                  </div>
                  <button
                    type="button"
                    class={`switch ${off ? 'on' : ''}`}
                    role="switch"
                    aria-checked={off}
                    data-testid={`soldout-${item.id}`}
                    data-soldout={String(off)}
                    disabled={busy === item.id}
                    onClick={() => void toggle(item.id, !off)}
                  >
                    {off ? '已沽清' : '沽清'}
                  </button>
                </div>
              )
            })}
          </section>
        )
      })}
    </div>
  )
}
