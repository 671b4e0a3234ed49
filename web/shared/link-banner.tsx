import type { LinkStatus } from './socket'

/** Shown while the live link is down; the page keeps the last state it had. */
export function LinkBanner({ status }: { status: LinkStatus }) {
  if (status === 'open' || status === 'closed') return null
  return (
    <div class="link-banner" data-testid="link-status" data-status={status}>
      <span class="spinner" />
      {status === 'connecting' ? '正在连接…' : '连接中断，正在重连…'}
    </div>
  )
}
