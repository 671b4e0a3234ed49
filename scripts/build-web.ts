// Builds the H5 apps into web/dist (served by the Worker's static assets):
//   /index.html            landing page
//   /diner/index.html      diner app; the Worker also returns it for /t/<code>, so assets use absolute paths
//   /merchant/index.html   merchant board
//   /kds/index.html        kitchen display
//   /rider/index.html      rider app (map tiles: MAP_TILE_URL at build time -> data-tile-url, see web/shared/map.ts)
//   /delivery/index.html   delivery and pickup customers (?store=, ?order=; same map tiles as the rider app)
// Deterministic: same sources, same bytes. Exits non-zero on any error. Run: npx tsx scripts/build-web.ts
import { createHash } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { build, type Metafile, type Plugin } from 'esbuild'

const root = path.resolve(import.meta.dirname, '..')
const dist = path.join(root, 'web/dist')

interface App {
  name: string
  title: string
  entry: string
  /** Extra attributes on <body> (e.g. the rider map's data-tile-url). */
  bodyAttrs?: Record<string, string>
}

const APPS: App[] = [
  { name: 'diner', title: '扫码点餐', entry: 'web/diner/main.tsx' },
  { name: 'merchant', title: '商家工作台', entry: 'web/merchant/main.tsx' },
  { name: 'kds', title: '后厨显示屏', entry: 'web/kds/main.tsx' },
  {
    name: 'rider',
    title: '骑手端',
    entry: 'web/rider/main.tsx',
    // Empty: no tile server, the map draws pins and the route on a plain background.
    bodyAttrs: {
      'data-tile-url': process.env.MAP_TILE_URL ?? '',
      'data-tile-datum': process.env.MAP_TILE_DATUM ?? 'GCJ02',
    },
  },
  {
    name: 'delivery',
    title: '外卖 · 自提',
    entry: 'web/delivery/main.tsx',
    // The order page's tracking map and the address picker: same tiles as the rider app (none by default).
    bodyAttrs: {
      'data-tile-url': process.env.MAP_TILE_URL ?? '',
      'data-tile-datum': process.env.MAP_TILE_DATUM ?? 'GCJ02',
    },
  },
]

// See web/shared/zod-stub.ts: core's schemas ride along with its pure helpers; the apps never parse.
const zodStub: Plugin = {
  name: 'zod-stub',
  setup(b) {
    b.onResolve({ filter: /^zod(\/.*)?$/ }, () => ({ path: path.join(root, 'web/shared/zod-stub.ts') }))
  },
}

const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 100 100'%3E%3Ctext y='.9em' font-size='90'%3E%F0%9F%8D%9C%3C/text%3E%3C/svg%3E"

const hash = (buf: Buffer | string) => createHash('sha256').update(buf).digest('hex').slice(0, 10)

const attr = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')

function shell(app: App, jsHash: string, cssHash: string): string {
  return `<!doctype html>
<html lang="zh-CN">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
    <meta name="theme-color" content="#f5603a" />
    <meta name="format-detection" content="telephone=no" />
    <title>${app.title}</title>
    <link rel="icon" href="${FAVICON}" />
    <link rel="stylesheet" href="/${app.name}/app.css?v=${cssHash}" />
    <script type="module" src="/${app.name}/app.js?v=${jsHash}"></script>
  </head>
  <body${Object.entries(app.bodyAttrs ?? {})
    .map(([k, v]) => ` ${k}="${attr(v)}"`)
    .join('')}>
    <div id="app"></div>
    <noscript>请开启 JavaScript 后使用</noscript>
  </body>
</html>
`
}

async function buildApp(app: App): Promise<Metafile> {
  const outdir = path.join(dist, app.name)
  const result = await build({
    absWorkingDir: root,
    entryPoints: [{ in: app.entry, out: 'app' }],
    outdir,
    bundle: true,
    format: 'esm',
    target: 'es2020',
    minify: true,
    sourcemap: true,
    charset: 'utf8',
    legalComments: 'none',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [zodStub],
    // Leaflet's CSS (web/shared/map.ts) names a few small PNGs (layer switcher, default marker): inlined.
    loader: { '.png': 'dataurl' },
    metafile: true,
    logLevel: 'warning',
  })
  const leaked = Object.keys(result.metafile.inputs).filter((f) => f.includes('node_modules/zod/'))
  if (leaked.length) throw new Error(`${app.name}: zod leaked into the bundle via ${leaked[0]}`)
  const js = await readFile(path.join(outdir, 'app.js'))
  const css = await readFile(path.join(outdir, 'app.css')).catch(() => Buffer.from(''))
  await writeFile(path.join(outdir, 'index.html'), shell(app, hash(js), hash(css)))
  return result.metafile
}

async function landing(): Promise<void> {
  const css = await readFile(path.join(root, 'web/landing.css'))
  await writeFile(path.join(dist, 'landing.css'), css)
  const html = await readFile(path.join(root, 'web/landing.html'), 'utf8')
  await writeFile(path.join(dist, 'index.html'), html.replace('/landing.css', `/landing.css?v=${hash(css)}`))
}

async function report(): Promise<void> {
  const files = [
    'index.html',
    'landing.css',
    ...APPS.flatMap((a) => [`${a.name}/index.html`, `${a.name}/app.js`, `${a.name}/app.css`]),
  ]
  const rows: string[] = []
  for (const f of files) {
    const buf = await readFile(path.join(dist, f)).catch(() => null)
    if (!buf) continue
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`.padStart(9)
    rows.push(`  web/dist/${f.padEnd(22)} ${kb(buf.length)}  gzip ${kb(gzipSync(buf, { level: 9 }).length)}`)
  }
  console.log(rows.join('\n'))
}

async function main(): Promise<void> {
  const started = Date.now()
  await rm(dist, { recursive: true, force: true })
  await mkdir(dist, { recursive: true })
  for (const app of APPS) await buildApp(app)
  await landing()
  await report()
  console.log(`built web/dist in ${Date.now() - started} ms`)
}

main().catch((e: unknown) => {
  // esbuild has already printed its diagnostics; this names what failed.
  console.error(`build-web failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`)
  process.exit(1)
})
