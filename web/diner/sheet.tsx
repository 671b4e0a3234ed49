import type { ComponentChildren } from 'preact'
import { useEffect, useRef } from 'preact/hooks'

/** A bottom sheet over a dimmed page; tapping the backdrop or pressing Escape closes it. */
export function Sheet(props: {
  title: ComponentChildren
  onClose: () => void
  children: ComponentChildren
  footer?: ComponentChildren
  class?: string
  testid?: string
}) {
  const close = useRef(props.onClose)
  close.current = props.onClose
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && close.current()
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [])
  return (
    <div class={`sheet-layer ${props.class ?? ''}`}>
      <div class="sheet-backdrop" onClick={props.onClose} data-testid="sheet-backdrop" />
      <div class="sheet" role="dialog" aria-modal="true" data-testid={props.testid}>
        <div class="sheet-head">
          <div class="sheet-title">{props.title}</div>
          <button
            type="button"
            class="sheet-close"
            onClick={props.onClose}
            aria-label="关闭"
            data-testid="sheet-close"
          >
            ✕
          </button>
        </div>
        <div class="sheet-body">{props.children}</div>
        {props.footer && <div class="sheet-foot">{props.footer}</div>}
      </div>
    </div>
  )
}

/** − n + with bounds; test ids are `<prefix>-minus`, `<prefix>`, `<prefix>-plus`. */
export function Stepper(props: {
  value: number
  min: number
  max: number
  onChange: (n: number) => void
  testid: string
}) {
  return (
    <div class="stepper">
      <button
        type="button"
        class="step-btn"
        aria-label="减少"
        data-testid={`${props.testid}-minus`}
        disabled={props.value <= props.min}
        onClick={(e) => {
          e.stopPropagation()
          props.onChange(props.value - 1)
        }}
      >
        −
      </button>
      <span class="step-value" data-testid={props.testid}>
        {props.value}
      </span>
      <button
        type="button"
        class="step-btn step-plus"
        aria-label="增加"
        data-testid={`${props.testid}-plus`}
        disabled={props.value >= props.max}
        onClick={(e) => {
          e.stopPropagation()
          props.onChange(props.value + 1)
        }}
      >
        +
      </button>
    </div>
  )
}
