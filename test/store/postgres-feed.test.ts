/**
 * Two daemon processes on one PostgreSQL database (stateless app servers behind a load
 * balancer): writers on both, and a reader following `GET /v1/changes` across both, page by page
 * while the writes go on. The reader must see every change once, in increasing `seq`, and nothing
 * a writer was told was stored may be missing from what it saw.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type RunningDaemon, request, startInProcess } from '../daemon.ts'
import { eventInput } from '../helpers.ts'
import { freshDatabase, postgresUnavailable } from '../postgres.ts'

const missing = await postgresUnavailable()

interface WireChange {
  seq: number
  kind: string
  op: string
  data: { id: string; entity?: string }
}

async function call(d: RunningDaemon, method: string, path: string, body?: unknown) {
  const res = await request(
    { port: d.discovery.port as number },
    {
      method,
      path,
      headers: { authorization: `Bearer ${d.token}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    },
  )
  assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${res.body}`)
  return JSON.parse(res.body) as unknown
}

test(
  'two daemons on one database: writers on both, a reader of /v1/changes sees every change once',
  { skip: missing },
  async (t) => {
    const url = await freshDatabase(t)
    const env = { DAYBOOK_DATABASE_URL: url, DAYBOOK_DB_POOL_SIZE: '4' }
    // Started together: both migrate at once, and the schema is created once.
    const daemons = await Promise.all([
      startInProcess(t, [], { env }),
      startInProcess(t, [], { env }),
    ])

    const WRITERS = 3
    const BATCHES = 8
    const PER_BATCH = 4
    const written = new Set<string>()
    let writing = true
    const writers = daemons.flatMap((d, di) =>
      Array.from({ length: WRITERS }, async (_, wi) => {
        for (let b = 0; b < BATCHES; b++) {
          const batch = Array.from({ length: PER_BATCH }, (_, k) =>
            eventInput({
              entity_name: `d${di}-w${wi}-b${b}-e${k}`,
              timestamp: new Date(Date.UTC(2025, 8, 11, 9, wi, b * 4 + k)).toISOString(),
              end_timestamp: new Date(Date.UTC(2025, 8, 11, 9, wi, b * 4 + k + 1)).toISOString(),
              duration: 1,
            }),
          )
          const result = (await call(d, 'POST', '/events', batch)) as { inserted: number }
          assert.equal(result.inserted, PER_BATCH)
          for (const e of batch) written.add(e.entity_name as string)
        }
      }),
    )

    // The reader alternates between the daemons, a small page at a time, while writers write.
    const seen: WireChange[] = []
    const reader = (async () => {
      let after = 0
      for (let turn = 0; ; turn++) {
        const d = daemons[turn % 2] as RunningDaemon
        const done = !writing
        const page = (await call(d, 'GET', `/v1/changes?after=${after}&limit=5`)) as {
          changes: WireChange[]
          next: number
        }
        seen.push(...page.changes)
        after = page.next
        // Drained after the last write was acknowledged: nothing more can come.
        if (done && page.changes.length === 0) return
      }
    })()
    await Promise.all(writers)
    writing = false
    await reader

    const seqs = seen.map((c) => c.seq)
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
      'the feed is in seq order',
    )
    assert.equal(new Set(seqs).size, seqs.length, 'no change is seen twice')
    const events = seen.filter((c) => c.kind === 'event' && c.op === 'upsert')
    const names = events.map((c) => c.data.entity as string)
    assert.equal(new Set(names).size, names.length, 'no event is seen twice')
    assert.deepEqual(new Set(names), written, 'every acknowledged event was seen')
    assert.equal(written.size, 2 * WRITERS * BATCHES * PER_BATCH)
  },
)
