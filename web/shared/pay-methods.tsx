// The provider buttons of a pay sheet, shared by the table's and the delivery order's payment sheets.
import { PROVIDER_LABEL } from './labels'
import type { ProviderInfo, ProviderName } from './payments'

const PROVIDER_ICON: Record<ProviderName, string> = { wechat: '💚', alipay: '💙' }

export function PayMethods(props: {
  providers: ProviderInfo[]
  /** The provider whose cashier is opening, if any: every button waits meanwhile. */
  busy: ProviderName | null
  onPick: (provider: ProviderName) => void
}) {
  return (
    <div class="pay-methods">
      {props.providers.map((p) => (
        <button
          type="button"
          key={p.provider}
          class={`pay-method pay-${p.provider}`}
          data-testid={`pay-${p.provider}`}
          disabled={props.busy !== null}
          onClick={() => props.onPick(p.provider)}
        >
          <span class="pay-icon">{PROVIDER_ICON[p.provider]}</span>
          <span class="pay-name">{PROVIDER_LABEL[p.provider]}</span>
          <span class="muted small">{props.busy === p.provider ? '正在打开收银台…' : '›'}</span>
        </button>
      ))}
    </div>
  )
}
