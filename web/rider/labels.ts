// Chinese text for what the rider channel and routes say (core/channels/rider.ts, core/errors.ts).
import type { LocRejectReason, OfferCloseReason, TaskStatus } from '../../core/channels/rider'
import { ApiError } from '../shared/api'
import { describeError } from '../shared/errors'

export const REJECT_TEXT: Record<LocRejectReason, string> = {
  out_of_order: '定位时间早于上一次，已忽略',
  impossible_jump: '定位跳变过大（可能是信号漂移）',
  inaccurate: '定位精度太差（超过 50 米）',
  from_future: '手机时间不准，请校准时间',
  off_duty: '未上班，定位未上报',
}

export const CLOSE_TEXT: Record<OfferCloseReason, string> = {
  accepted: '已接单',
  declined: '已拒绝',
  expired: '派单已超时',
  withdrawn: '派单已撤回',
  taken: '已被其他骑手抢走',
}

export const STATUS_TEXT: Record<TaskStatus, string> = {
  assigned: '待到店',
  arrived: '已到店',
  picked_up: '配送中',
  delivered: '已送达',
}

/** Geolocation API error codes (GeolocationPositionError). */
export function geoErrorText(code: number): string {
  if (code === 1) return '定位权限被拒绝，请在浏览器设置中允许定位'
  if (code === 2) return '无法获取位置（GPS 信号弱）'
  if (code === 3) return '定位超时'
  return '此浏览器不支持定位（需要 HTTPS）'
}

const RIDER_ZH: Record<string, string> = {
  INVALID_CREDENTIALS: '骑手编号或密码错误',
  RIDER_NOT_FOUND: '骑手不存在',
  OFFER_GONE: '该订单已失效',
  RIDER_OFF_DUTY: '请先上班',
  OUTSIDE_GEOFENCE: '不在范围内',
  DISPATCH_UNAVAILABLE: '调度暂时无响应，正在重试',
  TASK_NOT_FOUND: '该订单已不在您名下',
  CONFLICT: '状态已变化，请稍后重试',
}

export function riderError(e: unknown): string {
  if (e instanceof ApiError && RIDER_ZH[e.code]) {
    // The server's message names the case (e.g. "deliver the orders you carry before going off duty").
    if (e.code === 'CONFLICT' && /deliver the orders/.test(e.message))
      return '还有配送中的订单，送达后才能下班'
    return RIDER_ZH[e.code]!
  }
  return describeError(e)
}

/** "约 12 分钟" / "已超时 3 分钟" until `at`. */
export function etaText(at: number, now: number): string {
  const min = Math.round((at - now) / 60_000)
  if (min > 0) return `约 ${min} 分钟`
  if (min === 0) return '即将'
  return `已超 ${-min} 分钟`
}

/** 850 m / 1.2 km. */
export function distanceText(m: number): string {
  return m < 1000 ? `${Math.round(m)} 米` : `${(m / 1000).toFixed(1)} 公里`
}
