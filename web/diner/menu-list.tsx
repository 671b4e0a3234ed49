// Left: category rail. Right: dishes by category; the rail follows the scroll.

import { useMemo, useRef, useState } from 'preact/hooks'
import type { MenuItem } from '../../core/menu'
import { sections } from '../shared/menu-sections'
import { isSimple, memberLabel, priceLabel, tileHue } from './menu-view'
import type { MenuData } from './use-table'

export function MenuList(props: {
  data: MenuData
  soldOut: Set<string>
  inCart: Map<string, number>
  onPick: (item: MenuItem) => void
}) {
  const list = useMemo(() => sections(props.data.menu), [props.data.menu])
  const [active, setActive] = useState(list[0]?.category.id ?? '')
  const scroller = useRef<HTMLDivElement>(null)

  const jump = (id: string) => {
    const box = scroller.current
    const el = box?.querySelector<HTMLElement>(`[data-cat="${id}"]`)
    if (!box || !el) return
    setActive(id)
    box.scrollTo({ top: el.offsetTop, behavior: 'smooth' })
  }

  const onScroll = () => {
    const box = scroller.current
    if (!box) return
    let current = list[0]?.category.id ?? ''
    for (const el of box.querySelectorAll<HTMLElement>('[data-cat]'))
      if (el.offsetTop - box.scrollTop <= 24) current = el.dataset.cat ?? current
    if (current !== active) setActive(current)
  }

  const catCount = (items: MenuItem[]) => items.reduce((n, i) => n + (props.inCart.get(i.id) ?? 0), 0)

  return (
    <div class="menu">
      <nav class="rail" data-testid="rail">
        {list.map(({ category, items }) => {
          const n = catCount(items)
          return (
            <button
              type="button"
              key={category.id}
              class={`rail-item ${active === category.id ? 'active' : ''}`}
              data-testid={`category-${category.id}`}
              onClick={() => jump(category.id)}
            >
              {category.name}
              {n > 0 && <span class="rail-badge">{n}</span>}
            </button>
          )
        })}
      </nav>
      <div class="dishes" ref={scroller} onScroll={onScroll}>
        {list.map(({ category, items }) => (
          <section key={category.id} data-cat={category.id}>
            <h3 class="cat-title">{category.name}</h3>
            {items.map((item) => (
              <DishCard
                key={item.id}
                item={item}
                soldOut={props.soldOut.has(item.id)}
                count={props.inCart.get(item.id) ?? 0}
                onPick={props.onPick}
              />
            ))}
          </section>
        ))}
        <div class="dishes-end muted">— 没有更多了 —</div>
      </div>
    </div>
  )
}

function DishCard(props: {
  item: MenuItem
  soldOut: boolean
  count: number
  onPick: (item: MenuItem) => void
}) {
  const { item, soldOut } = props
  const member = memberLabel(item)
  return (
    <div
      class={`dish ${soldOut ? 'sold-out' : ''}`}
      data-testid={`dish-${item.id}`}
      data-soldout={soldOut ? 'true' : 'false'}
      role="button"
      tabIndex={soldOut ? -1 : 0}
      aria-disabled={soldOut}
      onClick={() => !soldOut && props.onPick(item)}
    >
      <div class="dish-tile" style={`--h:${tileHue(item.id)}`} aria-hidden="true">
        {item.name.slice(0, 1)}
      </div>
      <div class="dish-main">
        <div class="dish-name">
          {item.name}
          {item.spicy > 0 && (
            <span class="spicy" title={`辣度 ${item.spicy}`} data-testid="spicy">
              {'🌶'.repeat(item.spicy)}
            </span>
          )}
        </div>
        {item.description && <div class="dish-desc">{item.description}</div>}
        <div class="dish-chips">
          {item.allergens.map((a) => (
            <span key={a} class="chip chip-allergen" data-testid="allergen">
              ⚠ {a}
            </span>
          ))}
          {item.tags.map((t) => (
            <span key={t} class="chip chip-tag">
              {t}
            </span>
          ))}
        </div>
        <div class="dish-meta muted">约{item.prepMinutes}分钟</div>
        <div class="dish-foot">
          <span class="price" data-testid="price">
            {priceLabel(item)}
          </span>
          {member && <span class="member-price">会员 {member}</span>}
          <span class="dish-action">
            {soldOut ? (
              <span class="sold-out-tag">已售罄</span>
            ) : isSimple(item) ? (
              <span class="add-btn" aria-label="加入购物车">
                +
              </span>
            ) : (
              <span class="spec-btn">选规格</span>
            )}
            {props.count > 0 && (
              <span class="count-badge" data-testid="in-cart">
                {props.count}
              </span>
            )}
          </span>
        </div>
      </div>
    </div>
  )
}
