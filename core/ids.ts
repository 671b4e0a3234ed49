// Sortable, prefixed ids: `ord_` + 10 chars of time + 16 of randomness (Crockford base32, like ULID).
// 30 characters, only [0-9A-Za-z_], so an order id is a valid WeChat/Alipay out_trade_no (<= 32).

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

export type IdPrefix =
  | 'ord'
  | 'evt'
  | 'rnd'
  | 'din'
  | 'stf'
  | 'ses'
  | 'job'
  | 'rfd'
  | 'pay'
  | 'led'
  | 'lin'
  | 'chk'

export function newId(
  prefix: IdPrefix,
  now = Date.now(),
  random: (n: number) => Uint8Array = randomBytes,
): string {
  let time = ''
  let t = now
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time
    t = Math.floor(t / 32)
  }
  const bytes = random(16)
  let rand = ''
  for (let i = 0; i < 16; i++) rand += ALPHABET[bytes[i]! % 32]
  return `${prefix}_${time}${rand}`
}

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n))
}

/** The millisecond timestamp encoded in an id. */
export function idTime(id: string): number {
  const body = id.slice(id.indexOf('_') + 1, id.indexOf('_') + 11)
  let t = 0
  for (const ch of body) t = t * 32 + ALPHABET.indexOf(ch)
  return t
}
