import { useState } from 'preact/hooks'
import { Toaster } from '../shared/toast'
import { logout, type StaffSession, savedSession } from './auth'
import { Board } from './board'
import { LoginForm } from './login'

export function App() {
  const [session, setSession] = useState<StaffSession | null>(savedSession)
  const out = () => {
    logout()
    setSession(null)
  }
  return (
    <>
      {session ? (
        <Board key={session.token} session={session} onLogout={out} />
      ) : (
        <LoginForm onLogin={setSession} />
      )}
      <Toaster />
    </>
  )
}
