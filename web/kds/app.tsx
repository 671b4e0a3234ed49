import { useState } from 'preact/hooks'
import { logout, type StaffSession, savedSession } from '../shared/staff-auth'
import { LoginForm } from '../shared/staff-login'
import { Toaster } from '../shared/toast'
import { Kitchen } from './kitchen'

export function App() {
  const [session, setSession] = useState<StaffSession | null>(() => savedSession('kds'))
  const out = () => {
    logout('kds')
    setSession(null)
  }
  return (
    <>
      {session ? (
        <Kitchen key={session.token} session={session} onLogout={out} />
      ) : (
        <LoginForm app="kds" title="后厨显示屏" emoji="👨‍🍳" onLogin={setSession} />
      )}
      <Toaster />
    </>
  )
}
