// Routes anyone may call: health, scanning a table code, the menu, staff login.
import { Hono } from 'hono'
import { z } from 'zod'
import { DomainError, unwrap } from '../../core/errors'
import { StoreIdSchema } from '../../core/store'
import { verifyTableCode } from '../../core/table-code'
import type { AppEnv } from '../auth/middleware'
import { DUMMY_HASH, verifyPassword } from '../auth/password'
import { DINER_TTL_MS, STAFF_TTL_MS, signToken, verifyToken } from '../auth/tokens'
import { parse, readJson } from '../http'
import { describe } from '../openapi'
import { storeStub, tableStub } from '../stubs'

export const publicRoutes = new Hono<AppEnv>()

describe({ method: 'get', path: '/api/v1/health', summary: 'liveness', tag: 'public', auth: 'none' })
publicRoutes.get('/api/v1/health', (c) => c.json({ ok: true }))

const JoinBody = z.object({ name: z.string().trim().min(1).max(20).optional() })
describe({
  method: 'post',
  path: '/api/v1/tables/:code/join',
  summary: 'join a table by its QR code',
  tag: 'diner',
  auth: 'none',
  body: JoinBody,
})
publicRoutes.post('/api/v1/tables/:code/join', async (c) => {
  const where = await verifyTableCode(c.env.TABLE_CODE_SECRET, c.req.param('code'))
  if (!where) throw new DomainError('TABLE_CODE_INVALID', 'this QR code is not one of ours; ask the staff')
  const body =
    c.req.header('content-length') === '0' || !c.req.header('content-type') ? {} : await readJson(c, JoinBody)
  // A phone that already sat at this table keeps its seat (and cart lines) across reloads.
  const prior = c.req.header('authorization')?.startsWith('Bearer ')
    ? await verifyToken(c.env.TOKEN_SECRET, c.req.header('authorization')!.slice(7))
    : null
  const tableKey = `${where.areaNo}-${where.tableNo}`
  const same =
    prior?.role === 'diner' && prior.store === where.storeId && prior.table === tableKey ? prior : null
  const name = body.name ?? same?.name ?? `食客${Math.floor(Math.random() * 900 + 100)}`
  const joined = unwrap(
    await tableStub(c.env, where.storeId, tableKey).join({
      storeId: where.storeId,
      areaNo: where.areaNo,
      tableNo: where.tableNo,
      name,
      ...(same ? { dinerId: same.sub, sessionId: same.ses } : {}),
    }),
  )
  const expiresAt = Date.now() + DINER_TTL_MS
  const token = await signToken(c.env.TOKEN_SECRET, {
    role: 'diner',
    sub: joined.diner.id,
    store: joined.storeId,
    table: joined.tableKey,
    ses: joined.sessionId,
    name: joined.diner.name,
    exp: expiresAt,
  })
  return c.json({ token, expiresAt, ...joined })
})

describe({
  method: 'get',
  path: '/api/v1/stores/:storeId',
  summary: 'store name, pay mode and menu version',
  tag: 'public',
  auth: 'none',
})
publicRoutes.get('/api/v1/stores/:storeId', async (c) => {
  const storeId = parse(StoreIdSchema, c.req.param('storeId'))
  return c.json(unwrap(await storeStub(c.env, storeId).info()))
})

describe({
  method: 'get',
  path: '/api/v1/stores/:storeId/menu',
  summary: 'the menu and what is sold out',
  tag: 'public',
  auth: 'none',
})
publicRoutes.get('/api/v1/stores/:storeId/menu', async (c) => {
  const storeId = parse(StoreIdSchema, c.req.param('storeId'))
  const data = unwrap(await storeStub(c.env, storeId).getMenu())
  // Sold-out and stock change minute to minute without a new menu version, so this is not cached;
  // clients compare x-menu-version with the version their cart was built on.
  return c.json(data, 200, { 'x-menu-version': String(data.menu.version), 'cache-control': 'no-store' })
})

const LoginBody = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(128) })
describe({
  method: 'post',
  path: '/api/v1/stores/:storeId/login',
  summary: 'staff login',
  tag: 'staff',
  auth: 'none',
  body: LoginBody,
})
publicRoutes.post('/api/v1/stores/:storeId/login', async (c) => {
  const storeId = parse(StoreIdSchema, c.req.param('storeId'))
  const { username, password } = await readJson(c, LoginBody)
  const { success } = await c.env.LOGIN_LIMIT.limit({ key: `${storeId}:${username}` })
  if (!success) throw new DomainError('RATE_LIMITED', 'too many attempts; wait a minute')
  const cred = await storeStub(c.env, storeId).getStaffCredential(username)
  const ok = await verifyPassword(password, cred?.pwHash ?? DUMMY_HASH)
  if (!cred || !ok) throw new DomainError('INVALID_CREDENTIALS', 'wrong username or password')
  const expiresAt = Date.now() + STAFF_TTL_MS
  const token = await signToken(c.env.TOKEN_SECRET, {
    role: cred.role,
    sub: cred.username,
    store: storeId,
    name: cred.displayName,
    exp: expiresAt,
  })
  return c.json({
    token,
    expiresAt,
    staff: { username: cred.username, displayName: cred.displayName, role: cred.role },
  })
})

/** The diner app for a table QR code; forged codes get a plain 404 page instead of the app. */
publicRoutes.get('/t/:code', async (c) => {
  const where = await verifyTableCode(c.env.TABLE_CODE_SECRET, c.req.param('code'))
  if (!where)
    return c.html(
      '<!doctype html><meta charset="utf-8"><title>无效的桌码</title><p>这个二维码无效，请联系店员。</p>',
      404,
    )
  const page = await c.env.ASSETS.fetch(new URL('/diner/index.html', c.req.url))
  return new Response(page.body, {
    status: page.status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' },
  })
})
