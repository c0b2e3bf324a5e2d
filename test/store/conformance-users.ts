/**
 * The store conformance suite, users: the directory (add, a taken name, the last admin, the
 * owner) and the diaries beside the store, each sharing nothing with it or with another.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Store, UserRow } from '../../src/store/ports.ts'
import type { StoreFactory } from './conformance.ts'
import { event } from './conformance.ts'

const T0 = Date.parse('2025-09-11T09:00:00Z')

function user(name: string, overrides: Partial<UserRow> = {}): UserRow {
  return { name, admin: false, createdMs: T0, owner: false, ...overrides }
}

export function usersConformance(name: string, open: StoreFactory): void {
  describe(`${name}: users`, () => {
    test('the directory: added users are listed owner first, then by name; a taken name is refused', async (t) => {
      const store = await open(t)
      assert.deepEqual(await store.users.list(), [])
      assert.equal(await store.users.add(user('zoe')), true)
      assert.equal(await store.users.add(user('owner', { admin: true, owner: true })), true)
      assert.equal(await store.users.add(user('ann', { admin: true })), true)
      assert.equal(await store.users.add(user('zoe', { admin: true })), false, 'name taken')
      // One owner: the owner's diary is the store itself.
      assert.equal(await store.users.add(user('other', { owner: true })), false, 'second owner')
      assert.deepEqual(await store.users.list(), [
        user('owner', { admin: true, owner: true }),
        user('ann', { admin: true }),
        user('zoe'),
      ])
    })

    test('removing: unknown, the owner, the last admin are refused and change nothing', async (t) => {
      const store = await open(t)
      await store.users.add(user('owner', { admin: true, owner: true }))
      await store.users.add(user('ann'))
      assert.equal(await store.users.remove('nobody'), 'unknown')
      // The owner is the only admin: the last-admin rule speaks first.
      assert.equal(await store.users.remove('owner'), 'last_admin')
      assert.equal(await store.users.setAdmin('owner', false), 'last_admin')
      assert.equal(await store.users.setAdmin('nobody', true), 'unknown')
      assert.equal(await store.users.setAdmin('ann', true), 'ok')
      assert.equal(await store.users.remove('owner'), 'owner')
      assert.equal(await store.users.setAdmin('owner', false), 'ok')
      // Now ann is the last admin.
      assert.equal(await store.users.remove('ann'), 'last_admin')
      assert.equal(await store.users.setAdmin('ann', false), 'last_admin')
      assert.deepEqual(
        (await store.users.list()).map((u) => [u.name, u.admin]),
        [
          ['owner', false],
          ['ann', true],
        ],
      )
      await store.users.setAdmin('owner', true)
      assert.equal(await store.users.remove('ann'), 'removed')
      assert.deepEqual(
        (await store.users.list()).map((u) => u.name),
        ['owner'],
      )
    })

    test("a diary is a store of its own: nothing written to it is the first store's or another diary's", async (t) => {
      const store = await open(t)
      const opened: Store[] = []
      t.after(() => Promise.all(opened.map((d) => d.close())))
      const diary = async (n: string) => {
        const d = await store.openDiary(n)
        opened.push(d)
        await d.migrate()
        return d
      }
      const ann = await diary('ann')
      const bob = await diary('bob')
      await store.events.insert([event({ project: 'first' })], T0)
      await ann.events.insert([event({ project: 'ann_project' })], T0)
      await ann.settings.save({ timezone: 'Europe/Paris' })
      const range = {}
      const projects = async (s: Store) =>
        (await s.events.list({ range, filters: {}, limit: 100 })).events.map((e) => e.project)
      assert.deepEqual(await projects(store), ['first'])
      assert.deepEqual(await projects(ann), ['ann_project'])
      assert.deepEqual(await projects(bob), [])
      assert.equal((await bob.settings.get()).timezone, undefined)
      assert.equal((await ann.settings.get()).timezone, 'Europe/Paris')
      // Each its own feed, from 1.
      assert.deepEqual(
        (await ann.changes.after(0, 100)).changes.some((c) => c.kind === 'event'),
        true,
      )
      assert.equal(
        (await bob.changes.after(0, 100)).changes.filter((c) => c.kind === 'event').length,
        0,
      )
      // Opened again, a diary has what it had.
      await ann.close()
      opened.splice(opened.indexOf(ann), 1)
      const again = await diary('ann')
      assert.deepEqual(await projects(again), ['ann_project'])
      await again.close()
      opened.splice(opened.indexOf(again), 1)
      // Dropped, it is gone: opened again, it is empty.
      await store.dropDiary('ann')
      const fresh = await diary('ann')
      assert.deepEqual(await projects(fresh), [])
      assert.deepEqual(await projects(store), ['first'])
    })

    test('a diary name that is no user name is refused', async (t) => {
      const store = await open(t)
      await assert.rejects(store.openDiary('../x'), { code: 'invalid_user_name' })
      await assert.rejects(store.dropDiary('Bob'), { code: 'invalid_user_name' })
    })
  })
}
