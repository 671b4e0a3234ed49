// New-order alert: a short two-tone beep with WebAudio (no audio file to load). Browsers only let a
// page make sound after a user gesture, so the board asks for one tap before alerts can play.
let ctx: AudioContext | null = null

export function soundReady(): boolean {
  return ctx?.state === 'running'
}

/** Call from a click handler. Plays one quiet beep as confirmation. */
export async function enableSound(): Promise<boolean> {
  try {
    if (soundReady()) return true
    ctx ??= new AudioContext()
    await ctx.resume()
    beep(0.08)
    return soundReady()
  } catch {
    return false
  }
}

export function beep(volume = 0.25): void {
  if (ctx?.state !== 'running') return
  const t0 = ctx.currentTime
  tone(ctx, 880, t0, 0.16, volume)
  tone(ctx, 1320, t0 + 0.2, 0.22, volume)
}

function tone(ac: AudioContext, hz: number, at: number, length: number, volume: number): void {
  const osc = ac.createOscillator()
  const gain = ac.createGain()
  osc.type = 'sine'
  osc.frequency.value = hz
  // A fast attack and exponential release avoid the click of a square-edged envelope.
  gain.gain.setValueAtTime(0.0001, at)
  gain.gain.exponentialRampToValueAtTime(volume, at + 0.02)
  gain.gain.exponentialRampToValueAtTime(0.0001, at + length)
  osc.connect(gain).connect(ac.destination)
  osc.start(at)
  osc.stop(at + length + 0.02)
}
