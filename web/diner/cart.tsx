// The shared cart: a bar fixed at the bottom, and a panel above it listing who added what.

import { useState } from 'preact/hooks'
import type { CartLine, Diner } from '../../core/channels/table'
import { formatFen } from '../../core/money'
import { Stepper } from './sheet'
import type { CartOp } from './use-table'

export const cartTotal = (cart: CartLine[]) => cart.reduce((sum, l) => sum + l.unitPriceFen * l.qty, 0)
export const cartCount = (cart: CartLine[]) => cart.reduce((n, l) => n + l.qty, 0)

export function CartBar(props: {
  cart: CartLine[]
  hasRounds: boolean
  sending: boolean
  open: boolean
  onToggle: () => void
  onSend: () => void
}) {
  const count = cartCount(props.cart)
  return (
    <div class="cart-bar">
      <button
        type="button"
        class="cart-summary"
        data-testid="cart-bar"
        data-count={count}
        onClick={props.onToggle}
        aria-expanded={props.open}
      >
        <span class={`cart-icon ${count ? 'has' : ''}`}>
          🛒
          {count > 0 && (
            <span class="cart-count" data-testid="cart-count">
              {count}
            </span>
          )}
        </span>
        {count > 0 ? (
          <span class="cart-total" data-testid="cart-total">
            {formatFen(cartTotal(props.cart))}
          </span>
        ) : (
          <span class="cart-empty">购物车是空的</span>
        )}
      </button>
      <button
        type="button"
        class="send-btn"
        data-testid="send-round"
        disabled={count === 0 || props.sending}
        onClick={props.onSend}
      >
        {props.sending ? '提交中…' : props.hasRounds ? '加菜' : '下单'}
      </button>
    </div>
  )
}

export function CartPanel(props: {
  cart: CartLine[]
  diners: Diner[]
  meId: string
  onOp: (op: CartOp) => void
  onClose: () => void
}) {
  return (
    <div class="cart-layer">
      <div class="sheet-backdrop" onClick={props.onClose} data-testid="cart-backdrop" />
      <div class="cart-panel" data-testid="cart-panel">
        <div class="cart-head">
          <strong>购物车</strong>
          <span class="diners" data-testid="diners">
            同桌 {props.diners.length} 人：
            {props.diners.map((d) => (
              <span key={d.id} class={`chip ${d.id === props.meId ? 'chip-me' : ''}`} data-testid="diner">
                {d.name}
              </span>
            ))}
          </span>
        </div>
        <div class="cart-lines">
          {props.cart.length === 0 && <div class="cart-none muted">还没有菜，去菜单里挑几道吧</div>}
          {props.cart.map((l) => (
            <CartLineRow key={l.lineId} line={l} mine={l.dinerId === props.meId} onOp={props.onOp} />
          ))}
        </div>
      </div>
    </div>
  )
}

function CartLineRow({ line, mine, onOp }: { line: CartLine; mine: boolean; onOp: (op: CartOp) => void }) {
  const [editing, setEditing] = useState(false)
  const [draft, setDraft] = useState(line.note)
  const spec = [line.skuName, ...line.optionNames].filter(Boolean).join(' / ')
  const saveNote = (note: string) => {
    setEditing(false)
    if (note.trim() !== line.note) onOp({ type: 'cart.note', lineId: line.lineId, note: note.trim() })
  }
  return (
    <div class="cart-line" data-testid="cart-line" data-diner={line.dinerName} data-line-id={line.lineId}>
      <div class="cart-line-main">
        <div class="cart-line-name">
          {line.name}
          <span class={`chip ${mine ? 'chip-me' : ''}`} data-testid="line-diner">
            {mine ? '我' : line.dinerName}
          </span>
        </div>
        {spec && <div class="muted small">{spec}</div>}
        {editing ? (
          <input
            class="input note-input"
            data-testid="line-note"
            maxLength={100}
            value={draft}
            placeholder="备注"
            ref={(el) => el?.focus()}
            onInput={(e) => setDraft(e.currentTarget.value)}
            onBlur={() => saveNote(draft)}
            onKeyDown={(e) => e.key === 'Enter' && e.currentTarget.blur()}
          />
        ) : (
          <button
            type="button"
            class="note-btn"
            data-testid="line-note-edit"
            onClick={() => {
              setDraft(line.note)
              setEditing(true)
            }}
          >
            {line.note ? `备注：${line.note}` : '+ 备注'}
          </button>
        )}
      </div>
      <div class="cart-line-side">
        <span class="price">{formatFen(line.unitPriceFen * line.qty)}</span>
        <Stepper
          value={line.qty}
          min={0}
          max={99}
          testid="line-qty"
          onChange={(qty) => onOp({ type: 'cart.qty', lineId: line.lineId, qty })}
        />
        <button
          type="button"
          class="remove-btn"
          data-testid="line-remove"
          onClick={() => onOp({ type: 'cart.remove', lineId: line.lineId })}
        >
          删除
        </button>
      </div>
    </div>
  )
}
