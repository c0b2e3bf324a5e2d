/**
 * A hub's rules every store applies (`src/domain/sync-hub.ts`): the names a device may get, when
 * a pairing code pairs, and where a device's pushes resume.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  deviceNameCandidates,
  pairingName,
  pairingVerdict,
  resumedPush,
} from '../../src/domain/sync-hub.ts'

const ID = '1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d'

test('a device whose name is taken is named apart by more and more of its id, then all of it', () => {
  const names = [...deviceNameCandidates('laptop', ID)]
  assert.deepEqual(names.slice(0, 3), ['laptop', 'laptop (1a2b3c4d)', 'laptop (1a2b3c4d-5e6)'])
  assert.equal(names.at(-1), `laptop (${ID})`)
  assert.equal(new Set(names).size, names.length - 1, 'only the last is repeated, as the whole id')
})

test('a pairing code pairs once, until it expires, and never under another device’s name', () => {
  const code = { name: null, expiresMs: 1000, usedMs: null }
  const device = { id: ID, name: 'vm' }
  assert.deepEqual(pairingVerdict(undefined, device, 0, undefined), {
    ok: false,
    reason: 'unknown',
  })
  assert.deepEqual(pairingVerdict({ ...code, usedMs: 5 }, device, 0, undefined), {
    ok: false,
    reason: 'used',
  })
  assert.deepEqual(pairingVerdict(code, device, 1000, undefined), { ok: false, reason: 'expired' })
  assert.deepEqual(pairingVerdict(code, device, 999, 'another-id'), {
    ok: false,
    reason: 'name_taken',
    name: 'vm',
  })
  // The device's own name held by itself (paired again) is no conflict; a code's name wins.
  assert.deepEqual(pairingVerdict(code, device, 999, ID), { ok: true, name: 'vm' })
  assert.equal(pairingName({ ...code, name: 'laptop' }, device), 'laptop')
  assert.deepEqual(pairingVerdict({ ...code, name: 'laptop' }, device, 0, undefined), {
    ok: true,
    name: 'laptop',
  })
})

test('pushes resume where acknowledged in the same run of a device, no later than a new run began', () => {
  assert.deepEqual(resumedPush({ pushedSeq: 40, epoch: 1 }, 1, 10), { seq: 40, changed: false })
  assert.deepEqual(resumedPush({ pushedSeq: 40, epoch: 1 }, 2, 100), { seq: 40, changed: true })
  assert.deepEqual(resumedPush({ pushedSeq: 40, epoch: 1 }, 3, 25), { seq: 25, changed: true })
  assert.deepEqual(resumedPush({ pushedSeq: 0, epoch: null }, 3, 25), { seq: 0, changed: true })
})
