// The 打印 section of an order card: its tickets per printer, printed or waiting, with 重打.
import { useEffect, useState } from 'preact/hooks'
import type { PrinterState } from '../../core/channels/store'
import { clock } from '../shared/time'
import type { JobSummary } from './use-store'

const KIND_LABEL: Record<string, string> = { kitchen: '厨房单', receipt: '小票', void: '退菜单' }

export function PrintJobs(props: {
  orderId: string
  printers: PrinterState[]
  load: (orderId: string) => Promise<JobSummary[] | null>
  reprint: (jobId: string) => Promise<JobSummary | null>
}) {
  const [open, setOpen] = useState(false)
  const [jobs, setJobs] = useState<JobSummary[] | null>(null)
  const [busy, setBusy] = useState<string | null>(null)

  const refresh = async () => {
    const list = await props.load(props.orderId)
    if (list) setJobs(list)
  }
  useEffect(() => {
    if (open) void refresh()
  }, [open])

  const again = async (jobId: string) => {
    setBusy(jobId)
    const copy = await props.reprint(jobId)
    setBusy(null)
    if (copy) setJobs((list) => [...(list ?? []).filter((j) => j.id !== copy.id), copy])
  }

  const nameOf = (id: string) => props.printers.find((p) => p.id === id)?.name ?? id
  return (
    <div class="print-section" onClick={(e) => e.stopPropagation()}>
      <button
        type="button"
        class="print-toggle"
        data-testid="print-toggle"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        🖨 打印 {open ? '▴' : '▾'}
      </button>
      {open && (
        <div class="print-jobs" data-testid={`print-jobs-${props.orderId}`} data-loaded={String(!!jobs)}>
          {!jobs ? (
            <div class="muted small">加载中…</div>
          ) : jobs.length === 0 ? (
            <div class="muted small">没有打印记录</div>
          ) : (
            <ul>
              {jobs.map((j) => (
                <li key={j.id} data-testid={`print-job-${j.id}`} data-status={j.status}>
                  <span class="print-job-what">
                    <span class="print-job-printer">{nameOf(j.printerId)}</span>
                    <span class="muted small">
                      {KIND_LABEL[j.kind] ?? j.kind}
                      {j.reprint ? ' · 重打' : ''} · {clock(j.createdAt)}
                    </span>
                  </span>
                  <span class={`chip ${j.status === 'acked' ? 'tone-ready' : 'tone-wait'}`}>
                    {j.status === 'acked' ? '已打印' : '排队中'}
                  </span>
                  <button
                    type="button"
                    class="btn btn-mini"
                    data-testid={`reprint-${j.id}`}
                    disabled={busy !== null}
                    onClick={() => void again(j.id)}
                  >
                    重打
                  </button>
                </li>
              ))}
            </ul>
          )}
          <button type="button" class="print-refresh muted small" onClick={() => void refresh()}>
            刷新
          </button>
        </div>
      )}
    </div>
  )
}
