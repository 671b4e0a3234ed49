// Choose a spec, options, quantity and note for one dish, then add it to the shared cart.

import { useState } from 'preact/hooks'
import type { LineRequest, MenuItem } from '../../core/menu'
import { formatFen } from '../../core/money'
import { defaultOptions, missingGroup, ruleText, toggleOption } from './menu-view'
import { Sheet, Stepper } from './sheet'

export function DishSheet(props: {
  item: MenuItem
  onAdd: (line: LineRequest) => void
  onClose: () => void
}) {
  const { item } = props
  const [skuId, setSkuId] = useState(item.skus[0]!.id)
  const [chosen, setChosen] = useState<string[]>(() => defaultOptions(item))
  const [qty, setQty] = useState(1)
  const [note, setNote] = useState('')

  const sku = item.skus.find((s) => s.id === skuId) ?? item.skus[0]!
  const optionFen = item.optionGroups
    .flatMap((g) => g.options)
    .filter((o) => chosen.includes(o.id))
    .reduce((sum, o) => sum + o.priceFen, 0)
  const unit = sku.priceFen + optionFen
  const missing = missingGroup(item, chosen)

  const add = () => {
    if (missing) return
    props.onAdd({ itemId: item.id, skuId: sku.id, optionIds: chosen, qty, note: note.trim() })
  }

  return (
    <Sheet
      title={item.name}
      onClose={props.onClose}
      testid="sheet"
      footer={
        <>
          <div class="sheet-total">
            <span class="price" data-testid="sheet-total">
              {formatFen(unit * qty)}
            </span>
            {missing && <span class="muted small">请选择{missing.name}</span>}
          </div>
          <button
            type="button"
            class="btn btn-primary"
            data-testid="sheet-add"
            disabled={!!missing}
            onClick={add}
          >
            加入购物车
          </button>
        </>
      }
    >
      {item.description && <p class="muted sheet-desc">{item.description}</p>}
      {item.allergens.length > 0 && <p class="sheet-allergens">⚠ 含过敏原：{item.allergens.join('、')}</p>}
      {item.skus.length > 1 && (
        <div class="opt-group" data-testid="specs">
          <div class="opt-title">规格</div>
          <div class="opt-list">
            {item.skus.map((s) => (
              <button
                type="button"
                key={s.id}
                class={`opt ${s.id === sku.id ? 'on' : ''}`}
                aria-pressed={s.id === sku.id}
                data-testid={`sku-${s.id}`}
                onClick={() => setSkuId(s.id)}
              >
                {s.name} <span class="opt-price">{formatFen(s.priceFen)}</span>
                {s.memberPriceFen !== undefined && s.memberPriceFen < s.priceFen && (
                  <span class="opt-member">会员{formatFen(s.memberPriceFen)}</span>
                )}
              </button>
            ))}
          </div>
        </div>
      )}
      {item.optionGroups.map((g) => {
        const picked = g.options.filter((o) => chosen.includes(o.id)).length
        return (
          <div key={g.id} class="opt-group" data-testid={`group-${g.id}`}>
            <div class="opt-title">
              {g.name} <span class="opt-rule">{ruleText(g)}</span>
            </div>
            <div class="opt-list">
              {g.options.map((o) => {
                const on = chosen.includes(o.id)
                const full = !on && g.max > 1 && picked >= g.max
                return (
                  <button
                    type="button"
                    key={o.id}
                    class={`opt ${on ? 'on' : ''}`}
                    aria-pressed={on}
                    disabled={full}
                    data-testid={`option-${o.id}`}
                    onClick={() => setChosen(toggleOption(g, chosen, o.id))}
                  >
                    {o.name}
                    {o.priceFen > 0 && <span class="opt-price">+{formatFen(o.priceFen)}</span>}
                  </button>
                )
              })}
            </div>
          </div>
        )
      })}
      <div class="opt-group opt-row">
        <div class="opt-title">数量</div>
        <Stepper value={qty} min={1} max={99} onChange={setQty} testid="sheet-qty" />
      </div>
      <div class="opt-group">
        <div class="opt-title">备注</div>
        <input
          class="input"
          data-testid="sheet-note"
          maxLength={100}
          placeholder="如：少盐、不要香菜"
          value={note}
          onInput={(e) => setNote(e.currentTarget.value)}
        />
      </div>
    </Sheet>
  )
}
