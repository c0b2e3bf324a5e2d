/**
 * Two daemon processes on one PostgreSQL database, two users writing through both: each diary's
 * writes take that diary's lock only. While Ann's diary is locked, Bob's and the owner's writes go
 * through and Ann's wait (seen waiting in `pg_locks`, not guessed from a clock); once it is free,
 * hers are taken too. Then many writes for both users from both daemons at once: each user's feed
 * holds exactly their own events, each once, in increasing `seq`.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { lockDiary } from '../../src/store/postgres/db.ts'
import { type DaemonProcess, sendAs, startDaemon, userToken } from '../daemon.ts'
import { eventInput } from '../helpers.ts'
import { freshDatabase, postgresUnavailable } from '../postgres.ts'

const missing = await postgresUnavailable()

async function adminToken(d: DaemonProcess, user: string): Promise<string> {
  assert.equal((await sendAs(d, d.token, 'POST', '/v1/users', { name: user })).status, 201)
  return userToken(d, user)
}

/** One event named `entity`, its own second of the day. */
function event(entity: string, second: number) {
  return eventInput({
    entity_name: entity,
    timestamp: new Date(Date.UTC(2025, 8, 11, 9, 0, second)).toISOString(),
    end_timestamp: new Date(Date.UTC(2025, 8, 11, 9, 0, second + 1)).toISOString(),
    duration: 1,
  })
}

/** The entities of a diary's event changes, in feed order, after checking `seq` increases. */
async function feedEntities(d: DaemonProcess, token: string): Promise<string[]> {
  const res = await sendAs(d, token, 'GET', '/v1/changes?after=0&limit=1000')
  assert.equal(res.status, 200, res.body)
  const { changes } = JSON.parse(res.body) as {
    changes: { seq: number; kind: string; data: { entity?: string } }[]
  }
  changes.forEach((c, i) => i === 0 || assert.ok(c.seq > (changes[i - 1] as { seq: number }).seq))
  return changes.filter((c) => c.kind === 'event').map((c) => c.data.entity as string)
}

test(
  "two daemons, two users: a diary's lock holds its own writes only; every write counted once",
  { skip: missing },
  async (t) => {
    const url = await freshDatabase(t)
    const env = { DAYBOOK_DATABASE_URL: url, DAYBOOK_DB_POOL_SIZE: '4' }
    const [a, b] = await Promise.all([startDaemon(t, [], { env }), startDaemon(t, [], { env })])
    const ann = await adminToken(a, 'ann')
    const bob = await adminToken(a, 'bob')
    // Each daemon opens (and migrates) both diaries at its first request for them: done before.
    for (const d of [a, b]) {
      for (const token of [ann, bob])
        assert.equal((await sendAs(d, token, 'GET', '/v1/projects')).status, 200)
    }

    // Ann's diary locked as a write of hers would lock it (`public_u_ann`: the first schema's).
    const holder = new pg.Client({ connectionString: url })
    await holder.connect()
    let annWaiting: Promise<{ status: number; body: string }>
    try {
      await holder.query('BEGIN')
      await lockDiary(holder, 'public_u_ann')
      annWaiting = sendAs(b, ann, 'POST', '/v1/events', [event('ann-held', 0)])
      // Her write waits on her lock: seen in pg_locks.
      const waiting = async () =>
        (
          await holder.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
          )
        ).rows[0]?.n ?? 0
      while ((await waiting()) === 0) await sleep(20)
      // Bob's and the owner's writes, through both daemons, do not wait for hers.
      for (const [d, token, entity] of [
        [a, bob, 'bob-free'],
        [b, bob, 'bob-free-b'],
        [b, b.token, 'owner-free'],
      ] as const) {
        const res = await sendAs(d, token, 'POST', '/v1/events', [event(entity, 1)])
        assert.equal(res.status, 200, `${res.body}\n${d.stderr().slice(-4000)}`)
      }
      assert.equal(await waiting(), 1, "Ann's write still waits")
    } finally {
      await holder.query('COMMIT').catch(() => undefined)
      await holder.end()
    }
    const held = await annWaiting
    assert.equal(held.status, 200, held.body)

    // Both users, both daemons, several writers each, all at once.
    const expected = { ann: ['ann-held'], bob: ['bob-free', 'bob-free-b'] }
    await Promise.all(
      (['ann', 'bob'] as const).flatMap((user) =>
        [a, b].flatMap((d, di) =>
          [0, 1, 2].map(async (w) => {
            for (let n = 0; n < 5; n++) {
              const entities = [0, 1].map((k) => `${user}-d${di}-w${w}-n${n}-${k}`)
              const res = await sendAs(
                d,
                user === 'ann' ? ann : bob,
                'POST',
                '/v1/events',
                entities.map((e, k) => event(e, 10 + di * 100 + w * 20 + n * 2 + k)),
              )
              assert.equal(res.status, 200, `${res.body}\n${d.stderr().slice(-4000)}`)
              assert.equal((JSON.parse(res.body) as { inserted: number }).inserted, 2)
              expected[user].push(...entities)
            }
          }),
        ),
      ),
    )
    for (const [user, token] of [
      ['ann', ann],
      ['bob', bob],
    ] as const) {
      for (const d of [a, b]) {
        const seen = await feedEntities(d, token)
        assert.deepEqual([...seen].sort(), [...expected[user]].sort(), `${user}'s feed`)
        assert.equal(new Set(seen).size, seen.length, `${user}'s feed holds each change once`)
      }
    }
    assert.deepEqual(await feedEntities(a, a.token), ['owner-free'])
  },
)
