// 设置 (owner, manager): the store's printers with live status and recent changes, and the in-store print
// bridge's key: generated here, shown once, with the command that starts the bridge.
import { useEffect, useState } from 'preact/hooks'
import type { PrinterState } from '../../core/channels/store'
import type { PrinterConfig } from '../../core/tickets'
import { PRINTER_STATUS_LABEL, STATION_LABEL } from '../shared/labels'
import { clock } from '../shared/time'
import { toast } from '../shared/toast'
import { printerTone } from './printers'
import type { PrintersInfo } from './use-store'

export function Settings(props: {
  storeId: string
  /** Live states from the store channel; fresher than the ones fetched with the config. */
  live: PrinterState[]
  load: () => Promise<PrintersInfo | null>
  newKey: () => Promise<{ key: string } | null>
}) {
  const [info, setInfo] = useState<PrintersInfo | null>(null)
  useEffect(() => {
    void props.load().then((r) => r && setInfo(r))
  }, [])
  const stateOf = (id: string) => props.live.find((p) => p.id === id) ?? info?.states.find((p) => p.id === id)
  const nameOf = (id: string) => info?.printers.find((p) => p.id === id)?.name ?? id

  return (
    <div class="settings">
      <section class="settings-card">
        <h2>打印机</h2>
        {!info ? (
          <div class="muted">加载中…</div>
        ) : info.printers.length === 0 ? (
          <div class="muted" data-testid="printers-empty">
            还没有配置打印机（由平台在门店设置中配置）
          </div>
        ) : (
          <div class="printer-rows" data-testid="printer-list">
            {info.printers.map((p) => (
              <PrinterRow
                key={p.id}
                config={p}
                state={stateOf(p.id)}
                backupName={p.backupId && nameOf(p.backupId)}
              />
            ))}
          </div>
        )}
        {info && info.events.length > 0 && (
          <>
            <h3>最近状态变化</h3>
            <ul class="printer-events" data-testid="printer-events">
              {[...info.events]
                .sort((a, b) => b.at - a.at)
                .slice(0, 12)
                .map((e, i) => (
                  <li key={`${e.printerId}-${e.at}-${i}`}>
                    <span class="muted">{clock(e.at)}</span>
                    <span>{nameOf(e.printerId)}</span>
                    <span class={`chip pt-${printerTone(e.status)}`}>{PRINTER_STATUS_LABEL[e.status]}</span>
                    {e.detail && <span class="muted small">{e.detail}</span>}
                  </li>
                ))}
            </ul>
          </>
        )}
      </section>
      <BridgeKey storeId={props.storeId} newKey={props.newKey} />
    </div>
  )
}

function PrinterRow(props: {
  config: PrinterConfig
  state: PrinterState | undefined
  backupName: string | undefined
}) {
  const { config: p, state } = props
  const status = state?.status ?? 'unknown'
  const jobs = [...p.stations.map((s) => STATION_LABEL[s]), ...(p.receipts ? ['小票'] : [])]
  return (
    <div class="printer-row" data-testid={`printer-row-${p.id}`} data-status={status}>
      <div class="printer-row-main">
        <strong>{p.name}</strong>
        <span class="muted small">
          {p.id} · {p.transport.kind === 'lan' ? `局域网 ${p.transport.address}` : `飞鹅云 ${p.transport.sn}`}{' '}
          · {p.width}mm{p.copies > 1 ? ` · ${p.copies}联` : ''}
          {p.buzzer ? ' · 蜂鸣' : ''}
          {props.backupName ? ` · 备用：${props.backupName}` : ''}
        </span>
        <span class="printer-row-jobs">
          {jobs.length ? (
            jobs.map((j) => (
              <span key={j} class="chip">
                {j}
              </span>
            ))
          ) : (
            <span class="muted small">未分配档口</span>
          )}
        </span>
      </div>
      <div class="printer-row-status">
        <span class={`chip pt-${printerTone(status)}`}>{PRINTER_STATUS_LABEL[status]}</span>
        {state?.detail && <span class="muted small">{state.detail}</span>}
        {state && state.queued > 0 && <span class="muted small">{state.queued} 张待打印</span>}
      </div>
    </div>
  )
}

function BridgeKey(props: { storeId: string; newKey: () => Promise<{ key: string } | null> }) {
  const [asking, setAsking] = useState(false)
  const [busy, setBusy] = useState(false)
  const [key, setKey] = useState<string | null>(null)
  const generate = async () => {
    setBusy(true)
    const r = await props.newKey()
    setBusy(false)
    setAsking(false)
    if (r) setKey(r.key)
  }
  const command = key
    ? `npm run bridge -- --server ${location.origin} --store ${props.storeId} --key ${key}`
    : ''
  return (
    <section class="settings-card">
      <h2>打印桥</h2>
      <p class="muted small">
        店内电脑上运行打印桥，连接局域网打印机并接收云端的打印任务。密钥只显示一次；生成新密钥后旧密钥立即失效，正在运行的打印桥需要用新密钥重启。
      </p>
      {key ? (
        <div class="bridge-key" data-testid="bridge-key-box">
          <div class="muted small">密钥（只显示这一次，请立即保存）</div>
          <div class="copy-row">
            <code data-testid="bridge-key">{key}</code>
            <button
              type="button"
              class="btn btn-mini"
              data-testid="bridge-key-copy"
              onClick={() => void copy(key)}
            >
              复制
            </button>
          </div>
          <div class="muted small">启动命令</div>
          <div class="copy-row">
            <code data-testid="bridge-command">{command}</code>
            <button
              type="button"
              class="btn btn-mini"
              data-testid="bridge-command-copy"
              onClick={() => void copy(command)}
            >
              复制
            </button>
          </div>
          <button type="button" class="btn" data-testid="bridge-key-done" onClick={() => setKey(null)}>
            已保存，隐藏
          </button>
        </div>
      ) : asking ? (
        <div class="confirm-row">
          <span>生成新密钥会让旧密钥立即失效，确定吗？</span>
          <button type="button" class="btn" onClick={() => setAsking(false)}>
            取消
          </button>
          <button
            type="button"
            class="btn btn-primary"
            data-testid="bridge-key-confirm"
            disabled={busy}
            onClick={() => void generate()}
          >
            {busy ? '生成中…' : '确定生成'}
          </button>
        </div>
      ) : (
        <button
          type="button"
          class="btn btn-primary"
          data-testid="bridge-key-generate"
          onClick={() => setAsking(true)}
        >
          生成打印桥密钥
        </button>
      )}
    </section>
  )
}

/** Clipboard API needs a secure context; a LAN http:// demo falls back to a selected textarea. */
async function copy(text: string): Promise<void> {
  try {
    if (!navigator.clipboard) throw new Error('no clipboard')
    await navigator.clipboard.writeText(text)
  } catch {
    const ta = document.createElement('textarea')
    ta.value = text
    ta.setAttribute('readonly', '')
    ta.style.position = 'fixed'
    ta.style.opacity = '0'
    document.body.appendChild(ta)
    ta.select()
    const ok = document.execCommand('copy')
    ta.remove()
    if (!ok) return toast('复制失败，请手动选择复制', 'error')
  }
  toast('已复制')
}
