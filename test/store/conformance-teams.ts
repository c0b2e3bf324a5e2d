/**
 * The store conformance suite, teams: made with their creator as admin, invitations only to users
 * of the directory, accepting, shares only of joined members (replaced whole, each project once),
 * leaving by the departure rule (the last admin kept, the team gone with its last member, a
 * removed user's place handed on), and the directory's version.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Team } from '../../src/domain/teams.ts'
import type { Store, UserRow } from '../../src/store/ports.ts'
import type { StoreFactory } from './conformance.ts'

const T0 = Date.parse('2025-09-11T09:00:00Z')
const TEAM_A = '0199881f-4613-7ac3-a5bb-2cd7ff27ff5a'
const TEAM_B = '0199881f-4613-7ac3-a5bb-2cd7ff27ff5b'

function user(name: string, overrides: Partial<UserRow> = {}): UserRow {
  return { name, admin: false, createdMs: T0, owner: false, ...overrides }
}

function team(id: string, name: string, createdBy: string, createdMs = T0): Team {
  return { id, name, createdBy, createdMs }
}

async function directory(store: Store, ...names: string[]): Promise<void> {
  await store.users.add(user('owner', { admin: true, owner: true }))
  for (const n of names) assert.equal(await store.users.add(user(n)), true)
}

const places = async (store: Store, id: string) =>
  (await store.teams.members(id)).map((m) => `${m.user}:${m.role}:${m.joined ? 'in' : 'invited'}`)

export function teamsConformance(name: string, open: StoreFactory): void {
  describe(`${name}: teams`, () => {
    test('a team is made with its creator as its joined admin; listed per user by name', async (t) => {
      const store = await open(t)
      await directory(store, 'ann', 'bob')
      await store.teams.create(team(TEAM_B, 'Zebra', 'ann', T0 + 5))
      await store.teams.create(team(TEAM_A, 'Alpha', 'ann'))
      assert.deepEqual(await store.teams.get(TEAM_A), team(TEAM_A, 'Alpha', 'ann'))
      assert.equal(await store.teams.get('0199881f-4613-7ac3-a5bb-000000000000'), undefined)
      assert.deepEqual(await store.teams.members(TEAM_B), [
        { user: 'ann', role: 'admin', joined: true, invitedBy: 'ann', sinceMs: T0 + 5 },
      ])
      assert.deepEqual(
        (await store.teams.ofUser('ann')).map((x) => [x.team.name, x.member.role]),
        [
          ['Alpha', 'admin'],
          ['Zebra', 'admin'],
        ],
      )
      assert.deepEqual(await store.teams.ofUser('bob'), [])
      assert.deepEqual(await store.teams.members('0199881f-4613-7ac3-a5bb-000000000000'), [])
    })

    test('invitations: only to users of the directory, once; accepting joins; nobody else can accept', async (t) => {
      const store = await open(t)
      await directory(store, 'ann', 'bob', 'cy')
      await store.teams.create(team(TEAM_A, 'Alpha', 'ann'))
      assert.equal(await store.teams.invite(TEAM_B, 'bob', 'ann', T0), 'unknown_team')
      assert.equal(await store.teams.invite(TEAM_A, 'nobody', 'ann', T0), 'unknown_user')
      assert.equal(await store.teams.invite(TEAM_A, 'bob', 'ann', T0 + 1), 'invited')
      assert.equal(await store.teams.invite(TEAM_A, 'bob', 'ann', T0 + 2), 'member')
      assert.equal(await store.teams.invite(TEAM_A, 'ann', 'ann', T0 + 2), 'member')
      assert.deepEqual(await places(store, TEAM_A), ['ann:admin:in', 'bob:member:invited'])
      assert.deepEqual(
        (await store.teams.ofUser('bob')).map((x) => [
          x.team.id,
          x.member.joined,
          x.member.invitedBy,
        ]),
        [[TEAM_A, false, 'ann']],
      )
      assert.equal(await store.teams.accept(TEAM_A, 'cy', T0 + 3), 'not_invited')
      assert.equal(await store.teams.accept(TEAM_B, 'bob', T0 + 3), 'not_invited')
      assert.equal(await store.teams.accept(TEAM_A, 'bob', T0 + 3), 'joined')
      assert.equal(await store.teams.accept(TEAM_A, 'bob', T0 + 9), 'joined', 'again: no change')
      const bob = (await store.teams.members(TEAM_A)).find((m) => m.user === 'bob')
      assert.deepEqual(bob, {
        user: 'bob',
        role: 'member',
        joined: true,
        invitedBy: 'ann',
        sinceMs: T0 + 3,
      })
      assert.deepEqual(await places(store, TEAM_A), ['ann:admin:in', 'bob:member:in'])
    })

    test('shares: only a joined member sets them; replaced whole, each project once, by name', async (t) => {
      const store = await open(t)
      await directory(store, 'ann', 'bob')
      await store.teams.create(team(TEAM_A, 'Alpha', 'ann'))
      await store.teams.invite(TEAM_A, 'bob', 'ann', T0)
      const some = [{ project: 'daybook', details: false }]
      assert.equal(await store.teams.setShares(TEAM_A, 'bob', some), false, 'invited only')
      assert.equal(await store.teams.setShares(TEAM_B, 'ann', some), false, 'no such team')
      assert.deepEqual(await store.teams.shares(TEAM_A, 'bob'), [])
      await store.teams.accept(TEAM_A, 'bob', T0)
      assert.equal(
        await store.teams.setShares(TEAM_A, 'bob', [
          { project: 'zeta', details: false },
          { project: 'daybook', details: false },
          { project: 'Émile', details: true },
          { project: 'daybook', details: true },
        ]),
        true,
      )
      assert.deepEqual(await store.teams.shares(TEAM_A, 'bob'), [
        { project: 'daybook', details: true },
        { project: 'zeta', details: false },
        { project: 'Émile', details: true },
      ])
      assert.deepEqual(await store.teams.shares(TEAM_A, 'ann'), [], "ann's are her own")
      assert.equal(await store.teams.setShares(TEAM_A, 'bob', some), true)
      assert.deepEqual(await store.teams.shares(TEAM_A, 'bob'), some)
      assert.equal(await store.teams.setShares(TEAM_A, 'bob', []), true)
      assert.deepEqual(await store.teams.shares(TEAM_A, 'bob'), [])
    })

    test('leaving: shares go too; the last admin stays while others are in; the last one out deletes the team', async (t) => {
      const store = await open(t)
      await directory(store, 'ann', 'bob', 'cy')
      await store.teams.create(team(TEAM_A, 'Alpha', 'ann'))
      await store.teams.invite(TEAM_A, 'bob', 'ann', T0)
      await store.teams.invite(TEAM_A, 'cy', 'ann', T0)
      await store.teams.accept(TEAM_A, 'bob', T0 + 1)
      await store.teams.setShares(TEAM_A, 'bob', [{ project: 'p', details: false }])
      assert.equal(await store.teams.leave(TEAM_A, 'nobody'), 'unknown')
      assert.equal(await store.teams.leave(TEAM_A, 'ann'), 'last_admin')
      assert.deepEqual(await places(store, TEAM_A), [
        'ann:admin:in',
        'bob:member:in',
        'cy:member:invited',
      ])
      // Declining an invitation is leaving.
      assert.equal(await store.teams.leave(TEAM_A, 'cy'), 'left')
      assert.equal(await store.teams.leave(TEAM_A, 'bob'), 'left')
      assert.deepEqual(await store.teams.shares(TEAM_A, 'bob'), [])
      // Re-invited, nothing of before is shared.
      await store.teams.invite(TEAM_A, 'bob', 'ann', T0 + 2)
      await store.teams.accept(TEAM_A, 'bob', T0 + 3)
      assert.deepEqual(await store.teams.shares(TEAM_A, 'bob'), [])
      await store.teams.leave(TEAM_A, 'bob')
      await store.teams.invite(TEAM_A, 'cy', 'ann', T0)
      // Ann is the only one in (cy only invited): she leaves, and the team is gone.
      assert.equal(await store.teams.leave(TEAM_A, 'ann'), 'deleted')
      assert.equal(await store.teams.get(TEAM_A), undefined)
      assert.deepEqual(await store.teams.ofUser('cy'), [])
    })

    test('deleting a team removes its members and shares', async (t) => {
      const store = await open(t)
      await directory(store, 'ann', 'bob')
      await store.teams.create(team(TEAM_A, 'Alpha', 'ann'))
      await store.teams.invite(TEAM_A, 'bob', 'ann', T0)
      await store.teams.accept(TEAM_A, 'bob', T0)
      await store.teams.setShares(TEAM_A, 'bob', [{ project: 'p', details: true }])
      assert.equal(await store.teams.delete(TEAM_A), true)
      assert.equal(await store.teams.delete(TEAM_A), false)
      assert.deepEqual(await store.teams.members(TEAM_A), [])
      assert.deepEqual(await store.teams.shares(TEAM_A, 'bob'), [])
      assert.deepEqual(await store.teams.ofUser('bob'), [])
    })

    test('a removed user leaves every team: their shares go, the longest-standing member becomes admin', async (t) => {
      const store = await open(t)
      await directory(store, 'ann', 'bob', 'cy')
      await store.teams.create(team(TEAM_A, 'Alpha', 'ann'))
      await store.teams.create(team(TEAM_B, 'Solo', 'ann'))
      for (const [who, at] of [
        ['cy', T0 + 20],
        ['bob', T0 + 10],
      ] as const) {
        await store.teams.invite(TEAM_A, who, 'ann', T0)
        await store.teams.accept(TEAM_A, who, at)
      }
      await store.teams.setShares(TEAM_A, 'ann', [{ project: 'p', details: false }])
      assert.equal(await store.users.remove('ann'), 'removed')
      // Bob accepted before cy did.
      assert.deepEqual(await places(store, TEAM_A), ['bob:admin:in', 'cy:member:in'])
      assert.deepEqual(await store.teams.shares(TEAM_A, 'ann'), [])
      assert.equal(await store.teams.get(TEAM_B), undefined, 'her team of one is gone')
      assert.deepEqual(await store.teams.ofUser('ann'), [])
    })

    test("the directory's version changes with every change of its users, and only then", async (t) => {
      const store = await open(t)
      const v0 = await store.users.version()
      await store.users.add(user('owner', { admin: true, owner: true }))
      const v1 = await store.users.version()
      assert.notEqual(v1, v0)
      assert.equal(await store.users.add(user('owner')), false)
      assert.equal(await store.users.version(), v1, 'a refused add changes nothing')
      await store.users.add(user('ann'))
      const v2 = await store.users.version()
      assert.ok(![v0, v1].includes(v2))
      await store.users.setAdmin('ann', true)
      const v3 = await store.users.version()
      assert.ok(![v0, v1, v2].includes(v3))
      assert.equal(await store.users.remove('nobody'), 'unknown')
      assert.equal(await store.users.version(), v3)
      await store.users.remove('ann')
      assert.ok(![v0, v1, v2, v3].includes(await store.users.version()))
      // Teams are not users: the version stays.
      const v4 = await store.users.version()
      await store.teams.create(team(TEAM_A, 'Alpha', 'owner'))
      assert.equal(await store.users.version(), v4)
    })
  })
}
