// Diner H5 for one table: find the code in the URL, join (or rejoin), then the table page.
import { useEffect, useState } from 'preact/hooks'
import { ApiError } from '../shared/api'
import { describeError } from '../shared/errors'
import { Toaster } from '../shared/toast'
import { JoinForm } from './join'
import { codeFromPath, defaultName, forgetJoin, type JoinResult, join, savedJoin } from './session'
import { TablePage } from './table-page'

type Phase =
  | { k: 'name'; error?: string }
  | { k: 'joining' }
  | { k: 'failed'; message: string; fatal: boolean }
  | { k: 'ready'; session: JoinResult }

export function App() {
  const code = codeFromPath(location.pathname)
  if (!code) return <NoCode />
  return <TableApp code={code} />
}

function TableApp({ code }: { code: string }) {
  const [phase, setPhase] = useState<Phase>(() => (savedJoin(code) ? { k: 'joining' } : { k: 'name' }))

  const enter = async (name: string, oldToken?: string) => {
    setPhase({ k: 'joining' })
    try {
      setPhase({ k: 'ready', session: await join(code, name, oldToken) })
    } catch (e) {
      const fatal = e instanceof ApiError && (e.code === 'TABLE_CODE_INVALID' || e.code === 'STORE_NOT_FOUND')
      if (fatal) forgetJoin(code)
      setPhase({ k: 'failed', message: describeError(e), fatal })
    }
  }

  useEffect(() => {
    const saved = savedJoin(code)
    if (saved) void enter(saved.diner.name, saved.token)
  }, [code])

  // The token died (table cleared, expired): join again under the same name, as a new diner.
  const rejoin = (name: string) => {
    forgetJoin(code)
    void enter(name)
  }

  return (
    <>
      {phase.k === 'name' && (
        <JoinForm initialName={defaultName()} error={phase.error} onSubmit={(n) => enter(n)} />
      )}
      {phase.k === 'joining' && (
        <div class="center-screen">
          <span class="big-emoji">🍽️</span>
          <div class="muted">正在入座…</div>
        </div>
      )}
      {phase.k === 'failed' && (
        <div class="center-screen" data-testid="join-error">
          <span class="big-emoji">{phase.fatal ? '🚫' : '📶'}</span>
          <div>{phase.message}</div>
          {!phase.fatal && (
            <button type="button" class="btn btn-primary" onClick={() => setPhase({ k: 'name' })}>
              重试
            </button>
          )}
        </div>
      )}
      {phase.k === 'ready' && (
        <TablePage
          key={phase.session.token}
          session={phase.session}
          onExpired={() => rejoin(phase.session.diner.name)}
        />
      )}
      <Toaster />
    </>
  )
}

function NoCode() {
  return (
    <div class="center-screen" data-testid="no-code">
      <span class="big-emoji">📷</span>
      <h2>请扫描餐桌上的二维码点餐</h2>
      <p class="muted">用手机相机或微信扫一扫桌上的二维码即可进入本桌的点餐页。</p>
    </div>
  )
}
