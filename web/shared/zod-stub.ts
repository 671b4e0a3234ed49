// Why this exists: core modules declare zod schemas at top level next to the pure functions the web apps
// use (applyTableMessage, formatFen, nextEvents …). `import { z } from 'zod'` cannot be tree-shaken
// (~450 KB minified) and the apps never validate with zod, so scripts/build-web.ts resolves `zod` here:
// every schema becomes an inert chainable stub, and parsing throws so a mistaken use fails loudly.
const PARSERS = new Set<PropertyKey>([
  'parse',
  'safeParse',
  'parseAsync',
  'safeParseAsync',
  'decode',
  'encode',
])

const inert: object = new Proxy(() => {}, {
  get(_target, prop) {
    if (PARSERS.has(prop))
      return () => {
        throw new Error('zod is not bundled into the web apps; validate on the server')
      }
    return inert
  },
  apply: () => inert,
})

export const z = inert
