import assert from 'node:assert/strict'
import { test } from 'node:test'
import { RateLimiter } from '../../src/api/rate-limiter.ts'

test('a fixed window per key: N hits pass, the next is refused until the window ends', () => {
  let now = 1_000_000
  const limiter = new RateLimiter({ limit: 3, windowMs: 60_000, clock: () => now })
  for (let i = 0; i < 3; i++) assert.equal(limiter.hit('a').allowed, true)
  assert.deepEqual(limiter.check('a'), { allowed: false, retryAfterSec: 60 })
  assert.deepEqual(limiter.hit('a'), { allowed: false, retryAfterSec: 60 })
  assert.equal(limiter.hit('b').allowed, true, 'other keys are counted apart')
  now += 59_500
  assert.deepEqual(limiter.check('a'), { allowed: false, retryAfterSec: 1 })
  now += 500
  assert.deepEqual(limiter.check('a'), { allowed: true, retryAfterSec: 0 })
  assert.equal(limiter.hit('a').allowed, true)
})
