// The platform operator: create or replace a store's setup, list its table QR codes.
import { Hono } from 'hono'
import { DomainError, unwrap } from '../../core/errors'
import { StoreIdSchema, StoreSetupSchema } from '../../core/store'
import { makeTableCode, signTableCode } from '../../core/table-code'
import { type AppEnv, requireAdmin } from '../auth/middleware'
import { hashPassword } from '../auth/password'
import type { Env } from '../env'
import { parse, readJson } from '../http'
import { describe } from '../openapi'
import { storeStub } from '../stubs'

export const adminRoutes = new Hono<AppEnv>()
adminRoutes.use('/api/v1/admin/*', requireAdmin)

async function tableLinks(env: Env, storeId: string) {
  const tables = await storeStub(env, storeId).tableMap()
  return Promise.all(
    tables.map(async (t) => {
      const code = await signTableCode(env.TABLE_CODE_SECRET, makeTableCode(storeId, t.areaNo, t.tableNo))
      return {
        tableKey: t.tableKey,
        label: t.label,
        areaName: t.areaName,
        code,
        url: `${env.PUBLIC_BASE_URL}/t/${code}`,
      }
    }),
  )
}

describe({
  method: 'put',
  path: '/api/v1/admin/stores/:storeId',
  summary: 'create or replace a store (menu, stock, tables, staff)',
  tag: 'admin',
  auth: 'admin',
  body: StoreSetupSchema,
})
adminRoutes.put('/api/v1/admin/stores/:storeId', async (c) => {
  const storeId = parse(StoreIdSchema, c.req.param('storeId'))
  const setup = await readJson(c, StoreSetupSchema)
  const staff = await Promise.all(
    setup.staff.map(async (s) => ({
      username: s.username,
      displayName: s.displayName,
      role: s.role,
      pwHash: await hashPassword(s.password),
    })),
  )
  const { menuVersion } = unwrap(await storeStub(c.env, storeId).setup(storeId, { ...setup, staff }))
  return c.json({ storeId, menuVersion, tables: await tableLinks(c.env, storeId) })
})

describe({
  method: 'get',
  path: '/api/v1/admin/stores/:storeId/tables',
  summary: 'table QR codes and links',
  tag: 'admin',
  auth: 'admin',
})
adminRoutes.get('/api/v1/admin/stores/:storeId/tables', async (c) => {
  const storeId = parse(StoreIdSchema, c.req.param('storeId'))
  if (!(await storeStub(c.env, storeId).exists()))
    throw new DomainError('STORE_NOT_FOUND', `no store ${storeId}`)
  return c.json({ tables: await tableLinks(c.env, storeId) })
})
