// Chinese text for the API's stable error codes (core/errors.ts). Server messages are for developers.
import { ApiError } from './api'

const ZH: Record<string, string> = {
  NETWORK: '网络异常，请检查网络后重试',
  TIMEOUT: '请求超时，请重试',
  BAD_REQUEST: '请求有误',
  VALIDATION_FAILED: '填写的内容有误',
  UNAUTHENTICATED: '登录已过期，请重新进入',
  INVALID_CREDENTIALS: '用户名或密码错误',
  FORBIDDEN: '没有权限执行此操作',
  NOT_FOUND: '没有找到',
  STORE_NOT_FOUND: '门店不存在',
  ORDER_NOT_FOUND: '订单不存在',
  TABLE_CODE_INVALID: '桌码无效，请重新扫码',
  UNKNOWN_ITEM: '菜品已下架',
  UNKNOWN_SKU: '规格已下架',
  INVALID_OPTIONS: '请检查规格和口味选择',
  INVALID_QUANTITY: '数量不正确',
  ITEM_SOLD_OUT: '菜品已售罄',
  STOCK_INSUFFICIENT: '库存不足',
  MENU_STALE: '菜单已更新，请重新确认购物车',
  INVALID_TRANSITION: '订单状态已变化，请刷新',
  CART_EMPTY: '购物车是空的',
  CART_LINE_NOT_FOUND: '该菜品已不在购物车中',
  TABLE_NOT_OPEN: '本桌暂不能点餐，请联系服务员',
  RATE_LIMITED: '操作太频繁，请稍后再试',
  INTERNAL: '服务器开小差了，请稍后再试',
}

export function errorCode(e: unknown): string {
  return e instanceof ApiError ? e.code : 'INTERNAL'
}

/** One line for a toast: the Chinese text for the code, with the server's detail when it names something. */
export function errorText(code: string, message?: string): string {
  const zh = ZH[code]
  if (!zh) return message || '出错了，请重试'
  return code === 'STOCK_INSUFFICIENT' || code === 'ITEM_SOLD_OUT'
    ? `${zh}：${message ?? ''}`.replace(/：$/, '')
    : zh
}

export function describeError(e: unknown): string {
  if (e instanceof ApiError) return errorText(e.code, e.message)
  return errorText('INTERNAL')
}
