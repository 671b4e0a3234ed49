import { useState } from 'preact/hooks'

export function JoinForm(props: { initialName: string; error?: string; onSubmit: (name: string) => void }) {
  const [name, setName] = useState(props.initialName)
  const submit = (e: Event) => {
    e.preventDefault()
    const n = name.trim()
    if (n) props.onSubmit(n.slice(0, 20))
  }
  return (
    <form class="center-screen join" onSubmit={submit}>
      <span class="big-emoji">🍜</span>
      <h2>欢迎光临</h2>
      <p class="muted">给自己起个昵称，同桌的朋友能看到谁点了什么</p>
      <input
        class="input join-input"
        data-testid="join-name"
        value={name}
        maxLength={20}
        onInput={(e) => setName(e.currentTarget.value)}
        aria-label="昵称"
      />
      {props.error && <div class="form-error">{props.error}</div>}
      <button
        type="submit"
        class="btn btn-primary btn-block"
        data-testid="join-submit"
        disabled={!name.trim()}
      >
        开始点餐
      </button>
    </form>
  )
}
