// Chinese labels for core's enums. Records typed by the union so a new state fails the type check here.
import type { PrinterState } from '../../core/channels/store'
import type { Station } from '../../core/menu'
import type { OrderEvent, OrderMode, OrderState } from '../../core/order-machine'
import type {
  CheckoutState,
  MoneyAlert,
  PaymentOutcome,
  ProviderName,
  RefundState,
} from '../../core/payment-types'
import type { TableStatus } from '../../core/store'

export const ORDER_STATE_LABEL: Record<OrderState, string> = {
  PENDING_PAYMENT: '待支付',
  PLACED: '待接单',
  ACCEPTED: '已接单',
  QUEUED: '排队中',
  COOKING: '制作中',
  READY: '已出餐',
  SERVED: '已上菜',
  PICKED_UP: '已取餐',
  RIDER_ASSIGNED: '骑手已接单',
  RIDER_AT_STORE: '骑手已到店',
  DELIVERING: '配送中',
  DELIVERED: '已送达',
  COMPLETED: '已完成',
  REJECTED: '已拒单',
  CANCELLED: '已取消',
  REFUND_REQUESTED: '退款申请中',
  REFUNDING: '退款中',
  REFUNDED: '已退款',
  CLOSED: '已关闭',
}

/** A colour family per state for chips: waiting, working, done, bad. */
export function stateTone(s: OrderState): 'wait' | 'work' | 'ready' | 'done' | 'bad' {
  switch (s) {
    case 'PENDING_PAYMENT':
    case 'PLACED':
    case 'REFUND_REQUESTED':
      return 'wait'
    case 'ACCEPTED':
    case 'QUEUED':
    case 'COOKING':
    case 'REFUNDING':
      return 'work'
    case 'READY':
    case 'RIDER_ASSIGNED':
    case 'RIDER_AT_STORE':
    case 'DELIVERING':
      return 'ready'
    case 'REJECTED':
    case 'CANCELLED':
    case 'CLOSED':
    case 'REFUNDED':
      return 'bad'
    default:
      return 'done'
  }
}

export const TABLE_STATUS_LABEL: Record<TableStatus, string> = {
  idle: '空闲',
  seated: '已入座',
  ordering: '点餐中',
  dining: '用餐中',
  to_clean: '待清台',
}

export const MODE_LABEL: Record<OrderMode, string> = { dine_in: '堂食', pickup: '自提', delivery: '外卖' }

/** Events staff may tap on the board; the rest are applied by the system, providers or riders. */
export const EVENT_LABEL: Partial<Record<OrderEvent, string>> = {
  accept: '接单',
  reject: '拒单',
  start_cooking: '开始制作',
  ready: '出餐',
  serve: '上菜',
  pick_up: '已取餐',
  complete: '完成',
  pay: '已收款(柜台)',
  cancel: '取消',
  approve_refund: '同意退款',
  refuse_refund: '拒绝退款',
}

export const ROLE_LABEL: Record<string, string> = {
  owner: '店主',
  manager: '店长',
  waiter: '服务员',
  kitchen: '后厨',
}

export const STATION_LABEL: Record<Station, string> = { hot: '热菜', cold: '凉菜', bar: '酒水', pass: '出品' }

export const PRINTER_STATUS_LABEL: Record<PrinterState['status'], string> = {
  ok: '正常',
  offline: '离线',
  paper_out: '缺纸',
  cover_open: '开盖',
  error: '故障',
  unknown: '未知',
}

export const PROVIDER_LABEL: Record<ProviderName, string> = { wechat: '微信支付', alipay: '支付宝' }

/** The refund side of an order's state, as the diner reads it. */
export const REFUND_PROGRESS_LABEL: Partial<Record<OrderState, string>> = {
  REFUND_REQUESTED: '待商家处理',
  REFUNDING: '退款中',
  REFUNDED: '已退款',
}

export const REFUND_STATE_LABEL: Record<RefundState, string> = {
  PENDING: '待退款',
  PROCESSING: '退款中',
  SUCCESS: '已退款',
  FAILED: '退款失败',
}

export const CHECKOUT_STATE_LABEL: Record<CheckoutState, string> = {
  OPEN: '待支付',
  PAID: '已支付',
  CLOSED: '已关闭',
  SUPERSEDED: '已作废',
}

export const PAYMENT_OUTCOME_LABEL: Record<PaymentOutcome, string> = {
  SETTLED: '已入账',
  LATE: '超时到账·自动退回',
  SECOND: '重复支付·自动退回',
  MISMATCH: '金额不符',
}

export const MONEY_ALERT_LABEL: Record<MoneyAlert['kind'], string> = {
  amount_mismatch: '支付金额不符',
  refund_failed: '退款失败',
  auto_refund: '自动退款',
}
