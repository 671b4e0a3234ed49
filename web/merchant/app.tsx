import { useState } from 'preact/hooks'
import { logout, type StaffSession, savedSession } from '../shared/staff-auth'
import { LoginForm } from '../shared/staff-login'
import { Toaster } from '../shared/toast'
import { Board } from './board'

export function App() {
  const [session, setSession] = useState<StaffSession | null>(() => savedSession('merchant'))
  const out = () => {
    logout('merchant')
    setSession(null)
  }
  return (
    <>
      {session ? (
        <Board key={session.token} session={session} onLogout={out} />
      ) : (
        <LoginForm app="merchant" title="商家工作台" emoji="🧑‍🍳" onLogin={setSession} />
      )}
      <Toaster />
    </>
  )
}
