// Alert sounds with WebAudio (no audio file to load). Browsers only let a page make sound after a user
// gesture, so the apps ask for one tap before alerts can play.
//   beep()   new order / new ticket: a short, friendly two-tone chime
//   alarm()  a printer needs a person: a harsh, urgent square-wave pattern, repeated by the caller
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
  tone(ctx, 880, t0, 0.16, volume, 'sine')
  tone(ctx, 1320, t0 + 0.2, 0.22, volume, 'sine')
}

/** About 1.3 s of alternating high-low square tones: unmistakably not the new-order chime. */
export function alarm(volume = 0.3): void {
  if (ctx?.state !== 'running') return
  const t0 = ctx.currentTime
  for (let i = 0; i < 6; i++) tone(ctx, i % 2 ? 620 : 1040, t0 + i * 0.22, 0.18, volume, 'square')
}

function tone(
  ac: AudioContext,
  hz: number,
  at: number,
  length: number,
  volume: number,
  type: OscillatorType,
): void {
  const osc = ac.createOscillator()
  const gain = ac.createGain()
  osc.type = type
  osc.frequency.value = hz
  // A fast attack and exponential release avoid the click of a square-edged envelope.
  gain.gain.setValueAtTime(0.0001, at)
  gain.gain.exponentialRampToValueAtTime(volume, at + 0.02)
  gain.gain.exponentialRampToValueAtTime(0.0001, at + length)
  osc.connect(gain).connect(ac.destination)
  osc.start(at)
  osc.stop(at + length + 0.02)
}
