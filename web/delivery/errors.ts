// What the customer reads when an order is refused before payment. The delivery codes carry details
// (core/geo/delivery-area.ts): how far the address is and how far the store goes, how much is missing.
import { formatFen } from '../../core/money'
import { ApiError } from '../shared/api'
import { describeError } from '../shared/errors'

const km = (m: number) => `${(m / 1000).toFixed(1)}公里`

export function orderErrorText(e: unknown): string {
  if (!(e instanceof ApiError)) return describeError(e)
  const d = e.details ?? {}
  const num = (k: string) => (typeof d[k] === 'number' ? (d[k] as number) : null)
  switch (e.code) {
    case 'OUT_OF_DELIVERY_AREA': {
      const distance = num('distanceM')
      const limit = num('limitM')
      const how =
        distance !== null && limit !== null
          ? `（距门店${km(distance)}，最远配送${km(limit)}）`
          : distance !== null
            ? `（距门店${km(distance)}）`
            : ''
      return `该地址超出门店配送范围${how}，无法配送。请更换收货地址，或改为到店自提。`
    }
    case 'BELOW_MINIMUM_ORDER': {
      const short = num('shortFen')
      const min = num('minOrderFen')
      return short !== null && min !== null
        ? `未达起送价：还差${formatFen(short)}起送（起送价${formatFen(min)}）`
        : '未达起送价，请再加点菜'
    }
    case 'NOT_FOUND':
      return '收货地址不存在，请重新选择'
    default:
      return describeError(e)
  }
}
