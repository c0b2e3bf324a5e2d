/**
 * Every route's schemas are valid JSON Schema: the request validators compile them without
 * checking them against the meta-schema (a first request's cost), so it is checked here, for
 * every route the app serves.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import { startApp } from '../helpers.ts'

test('every route’s schemas pass JSON Schema’s meta-schema', async (t) => {
  const { app } = await startApp(t)
  const ajv = new Ajv({ strict: false })
  addFormats.default(ajv)
  let checked = 0
  for (const route of app.daybook.routes) {
    const schema = route.schema as Record<string, unknown> | undefined
    if (schema === undefined) continue
    const response = (schema.response ?? {}) as Record<string, unknown>
    const parts: [string, unknown][] = [
      ...['querystring', 'params', 'body', 'headers'].map((k): [string, unknown] => [k, schema[k]]),
      ...Object.entries(response).map(([status, s]): [string, unknown] => [
        `response ${status}`,
        s,
      ]),
    ]
    for (const [part, s] of parts) {
      if (s === undefined) continue
      assert.ok(
        ajv.validateSchema(s as object),
        `${route.method} ${route.url} ${part}: ${ajv.errorsText(ajv.errors)}`,
      )
      checked++
    }
  }
  // The app serves some 200 routes with schemas: an empty walk would pass nothing.
  assert.ok(checked > 200, `only ${checked} schemas checked`)
  t.diagnostic(`${checked} schemas checked`)
})

test('a schema that is not valid JSON Schema fails the check', () => {
  const ajv = new Ajv({ strict: false })
  assert.equal(ajv.validateSchema({ type: 'object', properties: { a: { minimum: 'one' } } }), false)
})

test('the OpenAPI document has every documented route the app serves, and only those', async (t) => {
  const { app, call } = await startApp(t)
  const res = await call({ url: '/v1/openapi.json' })
  assert.equal(res.statusCode, 200)
  const doc = res.json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>()
  assert.equal(doc.openapi, '3.1.0')
  // OpenAPI writes `:id` as `{id}`; HEAD and the hidden routes (the root aliases) are left out.
  const served = app.daybook.routes
    .filter((r) => r.method !== 'HEAD' && !r.schema?.hide)
    .map((r) => `${r.method.toLowerCase()} ${r.url.replace(/:(\w+)/g, '{$1}')}`)
  const documented = Object.entries(doc.paths).flatMap(([url, ops]) =>
    Object.keys(ops).map((method) => `${method} ${url}`),
  )
  assert.deepEqual([...new Set(documented)].sort(), [...new Set(served)].sort())
  assert.ok(documented.length > 100, `only ${documented.length} operations`)
  // Built once: the same document again.
  assert.equal((await call({ url: '/v1/openapi.json' })).body, res.body)
})
