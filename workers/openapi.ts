// The OpenAPI document is built from the same zod schemas the routes validate with: each route module
// describes its routes next to their handlers, so the document cannot drift from the code.
import { z } from 'zod'

type Auth = 'none' | 'diner' | 'staff' | 'admin' | 'rider' | 'customer'
interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete'
  path: string
  summary: string
  tag: string
  auth: Auth
  body?: z.ZodType
  idempotent?: boolean
}

const routes: RouteDoc[] = []

export function describe(doc: RouteDoc): void {
  routes.push(doc)
}

const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } },
      required: ['code', 'message'],
    },
  },
}

export function openApiDocument(baseUrl: string): object {
  const paths: Record<string, Record<string, object>> = {}
  for (const r of routes) {
    const path = r.path.replace(/:(\w+)/g, '{$1}')
    const params = [...r.path.matchAll(/:(\w+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }))
    if (r.idempotent)
      params.push({ name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string' } })
    paths[path] ??= {}
    paths[path]![r.method] = {
      summary: r.summary,
      tags: [r.tag],
      ...(r.auth === 'none' ? { security: [] } : { security: [{ [r.auth]: [] }] }),
      parameters: params,
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: {
                'application/json': {
                  schema: z.toJSONSchema(r.body, { io: 'input', unrepresentable: 'any' }),
                },
              },
            },
          }
        : {}),
      responses: {
        '200': { description: 'OK' },
        '4XX': {
          description: 'Your mistake: see error.code',
          content: { 'application/json': { schema: errorSchema } },
        },
      },
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'edge-canteen API',
      version: '1.0.0',
      description: 'Money in integer fen, time in epoch ms.',
    },
    servers: [{ url: baseUrl }],
    components: {
      securitySchemes: {
        diner: { type: 'http', scheme: 'bearer', description: 'from POST /api/v1/tables/{code}/join' },
        staff: { type: 'http', scheme: 'bearer', description: 'from POST /api/v1/stores/{storeId}/login' },
        admin: { type: 'http', scheme: 'bearer', description: 'the ADMIN_TOKEN secret' },
        rider: { type: 'http', scheme: 'bearer', description: 'from POST /api/v1/riders/{riderId}/login' },
        customer: { type: 'http', scheme: 'bearer', description: 'from POST /api/v1/customers/session' },
      },
    },
    paths,
  }
}

/** A dependency-free docs page: the document rendered as a readable list. */
export const DOCS_HTML = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>API docs</title><style>body{font:14px system-ui;margin:2rem;max-width:60rem}h2{margin-top:2rem}code{background:#f4f4f4;padding:0 .3em}
.m{display:inline-block;width:4.5em;font-weight:700}.r{margin:.4rem 0}pre{background:#f7f7f7;padding:.5rem;overflow:auto;font-size:12px}</style></head>
<body><h1>edge-canteen API v1</h1><p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>. Errors are <code>{"error":{"code","message"}}</code>.</p><div id="d"></div>
<script>fetch('/api/v1/openapi.json').then(r=>r.json()).then(doc=>{const byTag={};for(const[p,ops]of Object.entries(doc.paths))for(const[m,op]of Object.entries(ops))(byTag[op.tags[0]]??=[]).push({p,m,op});
const d=document.getElementById('d');for(const[t,list]of Object.entries(byTag)){const h=document.createElement('h2');h.textContent=t;d.append(h);for(const{p,m,op}of list){const div=document.createElement('div');div.className='r';
div.innerHTML='<span class=m>'+m.toUpperCase()+'</span><code></code> <span></span>';div.querySelector('code').textContent=p;div.querySelector('span:last-child').textContent=op.summary+(op.security&&op.security.length?' ('+Object.keys(op.security[0])[0]+')':'');
d.append(div);const body=op.requestBody&&op.requestBody.content['application/json'].schema;if(body){const pre=document.createElement('pre');pre.textContent=JSON.stringify(body,null,1).slice(0,3000);d.append(pre)}}}})</script></body></html>`
