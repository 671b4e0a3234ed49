// The rider H5 app (/rider/): log in with the rider id and password, then the shift screen.
import { useState } from 'preact/hooks'
import { Toaster } from '../shared/toast'
import { Home } from './home'
import { riderError } from './labels'
import { lastRiderId, login, logout, type RiderSession, savedSession } from './session'

export function App() {
  const [session, setSession] = useState<RiderSession | null>(() => savedSession())
  const out = () => {
    logout()
    setSession(null)
  }
  return (
    <>
      {session ? (
        <Home key={session.token} session={session} onLogout={out} />
      ) : (
        <Login onLogin={setSession} />
      )}
      <Toaster />
    </>
  )
}

function Login({ onLogin }: { onLogin: (s: RiderSession) => void }) {
  const [riderId, setRiderId] = useState(lastRiderId)
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState('')

  const submit = async (e: Event) => {
    e.preventDefault()
    const id = riderId.trim()
    if (!/^[A-Za-z0-9_-]{2,32}$/.test(id)) return setError('骑手编号是 2-32 位字母、数字、_ 或 -')
    setBusy(true)
    setError('')
    try {
      onLogin(await login(id, password))
    } catch (err) {
      setError(riderError(err))
      setBusy(false)
    }
  }

  return (
    <div class="r-login">
      <form class="r-login-card" onSubmit={submit}>
        <div class="r-login-emoji">🛵</div>
        <h1>骑手端</h1>
        <label>
          骑手编号
          <input
            class="input"
            data-testid="rider-id"
            autoComplete="username"
            autoCapitalize="off"
            placeholder="如 r001"
            value={riderId}
            onInput={(e) => setRiderId(e.currentTarget.value)}
            required
          />
        </label>
        <label>
          密码
          <input
            class="input"
            type="password"
            data-testid="rider-password"
            autoComplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            required
          />
        </label>
        {error && (
          <div class="form-error" data-testid="login-error">
            {error}
          </div>
        )}
        <button type="submit" class="btn btn-primary btn-block" data-testid="rider-login" disabled={busy}>
          {busy ? '登录中…' : '登录'}
        </button>
      </form>
    </div>
  )
}
