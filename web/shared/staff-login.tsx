// Staff login form shared by the merchant board and the kitchen display (same testids in both).
import { useState } from 'preact/hooks'
import { describeError } from './errors'
import { lastLogin, login, type StaffApp, type StaffSession } from './staff-auth'
import './staff-login.css'

export function LoginForm(props: {
  app: StaffApp
  title: string
  emoji: string
  onLogin: (s: StaffSession) => void
}) {
  const last = lastLogin(props.app)
  const [storeId, setStoreId] = useState(last.storeId)
  const [username, setUsername] = useState(last.username)
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState('')

  const submit = async (e: Event) => {
    e.preventDefault()
    if (!/^\d{3}$/.test(storeId)) return setError('门店编号是 3 位数字')
    setBusy(true)
    setError('')
    try {
      props.onLogin(await login(props.app, storeId, username.trim(), password))
    } catch (err) {
      setError(describeError(err))
      setBusy(false)
    }
  }

  return (
    <div class={`login-wrap login-${props.app}`}>
      <form class="login" onSubmit={submit}>
        <div class="big-emoji">{props.emoji}</div>
        <h1>{props.title}</h1>
        <label>
          门店编号
          <input
            class="input"
            data-testid="login-store"
            inputMode="numeric"
            pattern="\d{3}"
            maxLength={3}
            placeholder="如 001"
            value={storeId}
            onInput={(e) => setStoreId(e.currentTarget.value.replace(/\D/g, ''))}
            required
          />
        </label>
        <label>
          用户名
          <input
            class="input"
            data-testid="login-username"
            autoComplete="username"
            autoCapitalize="off"
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
            required
          />
        </label>
        <label>
          密码
          <input
            class="input"
            type="password"
            data-testid="login-password"
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
        <button type="submit" class="btn btn-primary btn-block" data-testid="login-submit" disabled={busy}>
          {busy ? '登录中…' : '登录'}
        </button>
      </form>
    </div>
  )
}
