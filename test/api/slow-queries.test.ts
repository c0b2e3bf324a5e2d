/**
 * Slow-query logging: a store call at least `slowQueryMs` long is a warning naming the call, its
 * time, the route it was made for and the user. The threshold here is a microsecond, which every
 * call crosses (each goes to a store thread and back), so nothing depends on the machine's speed.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eventInput, startApp } from '../helpers.ts'

interface Line {
  level: number
  msg: string
  query?: string
  ms?: number
  route?: string | null
  user?: string | null
}

test('a slow store call is logged with its route and user; none without the setting', async (t) => {
  const lines: Line[] = []
  const { app, call } = await startApp(t, {
    slowQueryMs: 0.001,
    logger: { level: 'warn', stream: { write: (l: string) => void lines.push(JSON.parse(l)) } },
  })
  await call({ method: 'POST', url: '/v1/users', payload: { name: 'ann' } })
  const made = await call({
    method: 'POST',
    url: '/v1/users/ann/tokens',
    payload: { name: 'x', acl: 'admin', expiry: 'never' },
  })
  lines.length = 0
  const res = await app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { authorization: `Bearer ${made.json<{ token: string }>().token}` },
    payload: [eventInput()],
  })
  assert.equal(res.statusCode, 200, res.body)
  const slow = lines.find((l) => l.query === 'events.insert')
  assert.ok(slow, JSON.stringify(lines))
  assert.equal(slow.level, 40)
  assert.equal(slow.route, 'POST /v1/events')
  assert.equal(slow.user, 'ann')
  assert.equal(typeof slow.ms, 'number')
  assert.match(slow.msg, /^slow query: events\.insert took \d+ ms for POST \/v1\/events$/)

  const quiet: Line[] = []
  const off = await startApp(t, {
    logger: { level: 'warn', stream: { write: (l: string) => void quiet.push(JSON.parse(l)) } },
  })
  await off.call({ method: 'POST', url: '/v1/events', payload: [eventInput()] })
  assert.deepEqual(
    quiet.filter((l) => l.query !== undefined),
    [],
  )
})
