/**
 * What the daemon keeps per client stays bounded however many clients there are (the fuzzer's
 * memory check covers what it keeps per request). The budget of failed authentications is kept
 * per address: a flood of wrong tokens from many addresses (a subnet, an IPv6 /64) must not
 * grow it without end, and it must still limit each address.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startApp } from '../helpers.ts'

test('the failed-authentication budget tracks a bounded number of addresses and still limits each', async (t) => {
  const clients = 40
  const { app, token } = await startApp(t, {
    authFailureLimit: { limit: 2, windowMs: 60_000, clients },
  })
  const from = (remoteAddress: string, secret: string) =>
    app.inject({ url: '/v1/apps', remoteAddress, headers: { authorization: `Bearer ${secret}` } })
  const address = (i: number) => `2001:db8::${i.toString(16)}`
  for (let i = 0; i < 5 * clients; i++) {
    assert.equal((await from(address(i), 'wrong')).statusCode, 401)
    assert.ok(
      app.daybook.authFailures.size <= clients,
      `${app.daybook.authFailures.size} addresses tracked after ${i + 1}`,
    )
  }
  // The latest address still has its budget counted: one more guess, then 429.
  const latest = address(5 * clients - 1)
  assert.equal((await from(latest, 'wrong')).statusCode, 401)
  assert.equal((await from(latest, 'wrong')).statusCode, 429)
  // A valid token always gets through.
  assert.equal((await from(latest, token)).statusCode, 200)
})
