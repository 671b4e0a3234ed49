// Names of objects: one StoreDO per store id, one TableDO per `storeId:area-table`.
import type { Env } from './env'

export const storeStub = (env: Env, storeId: string) => env.STORE.getByName(storeId)
export const tableStub = (env: Env, storeId: string, tableKey: string) =>
  env.TABLE.getByName(`${storeId}:${tableKey}`)
