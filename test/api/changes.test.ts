import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { BusMessage } from '../../src/services/bus.ts'
import { OWN_DEVICE, eventInput, startApp } from '../helpers.ts'

const DAY = 'start=2025-09-11T00:00:00Z&end=2025-09-12T00:00:00Z'

test('groupBy=device and a devices filter on every summary route', async (t) => {
  const { call } = await startApp(t)
  await call({
    method: 'POST',
    url: '/v1/events',
    payload: [
      eventInput(), // 2 minutes on this machine
      eventInput({
        device: 'laptop-2',
        timestamp: '2025-09-11T14:00:00Z',
        end_timestamp: '2025-09-11T14:05:00Z',
      }),
    ],
  })
  const custom =
    'preset[custom][start]=2025-09-11T00:00:00Z&preset[custom][end]=2025-09-12T00:00:00Z&preset[custom][bucket]=day'
  const get = async (url: string) => (await call({ method: 'GET', url })).json()
  const rows = (await get(`/v1/summary/buckets?${custom}&groupBy=device&tz=UTC`)) as {
    bucket: string
    groupedValues: Record<string, number>
  }[]
  assert.deepEqual(
    Object.fromEntries(rows.map((r) => Object.entries(r.groupedValues)[0] as [string, number])),
    { 'laptop-2': 300, [OWN_DEVICE]: 120 },
  )
  assert.ok(rows.every((r) => r.bucket === '2025-09-11'))
  assert.equal(await get(`/v1/summary/total?${DAY}&devices[]=laptop-2`), 300)
  assert.equal(
    await get(`/v1/summary/total?${DAY}&devices[0]=laptop-2&devices[1]=${OWN_DEVICE}`),
    420,
  )
  assert.deepEqual(await get(`/v1/summary/range?${DAY}&devices=${OWN_DEVICE}`), [
    { groupKey: 'Total', totalSeconds: 120 },
  ])
  assert.deepEqual(
    await get('/v1/insights?insightType=topN&insightRange=2025&groupBy=device&limit=5&tz=UTC'),
    {
      topN: [
        ['laptop-2', 300],
        [OWN_DEVICE, 120],
      ],
    },
  )
  assert.deepEqual(
    await get(
      '/v1/insights?insightType=dailyAverage&insightRange=2025-09-11&devices=laptop-2&tz=UTC',
    ),
    {
      dailyAverage: {
        totalSeconds: 300,
        days: 1,
        activeDays: 1,
        averageSeconds: 300,
        activeDayAverageSeconds: 300,
      },
    },
  )
})

test('GET /v1/changes pages the feed in order; next continues where the last page ended', async (t) => {
  const { call } = await startApp(t)
  await call({
    method: 'POST',
    url: '/v1/events',
    payload: [eventInput(), eventInput({ entity_name: 'b.rs' })],
  })
  await call({
    method: 'POST',
    url: '/v1/afk',
    payload: [{ afk_start: '2025-09-11T12:35:00Z', afk_end: null }],
  })
  await call({ method: 'PUT', url: '/v1/settings', payload: { startOfDay: '04:00' } })
  // Extending an event moves it to the end of the feed.
  await call({
    method: 'POST',
    url: '/v1/events',
    payload: [eventInput({ end_timestamp: '2025-09-11T12:40:00Z' })],
  })
  const first = (await call({ method: 'GET', url: '/v1/changes?after=0&limit=3' })).json()
  assert.equal(first.changes.length, 3)
  const rest = (await call({ method: 'GET', url: `/v1/changes?after=${first.next}` })).json()
  const all = [...first.changes, ...rest.changes]
  assert.deepEqual(
    all.map((c: { kind: string; op: string }) => `${c.kind}:${c.op}`),
    ['device:upsert', 'event:upsert', 'afk:upsert', 'setting:upsert', 'event:upsert'],
  )
  const seqs = all.map((c: { seq: number }) => c.seq)
  assert.deepEqual(
    seqs,
    [...seqs].sort((a, b) => a - b),
  )
  assert.equal(all[4].data.entity, 'main.rs')
  assert.equal(all[4].data.endTimestamp, '2025-09-11T12:40:00Z')
  assert.deepEqual(all[3].data, { key: 'startOfDay', value: '04:00' })
  assert.deepEqual((await call({ method: 'GET', url: `/v1/changes?after=${rest.next}` })).json(), {
    changes: [],
    next: rest.next,
  })
  const bad = await call({ method: 'GET', url: '/v1/changes?after=-1' })
  assert.equal(bad.statusCode, 400)
})

test('the bus announces what committed, with feed positions, and nothing for a refused batch', async (t) => {
  const { call, app } = await startApp(t)
  const heard: BusMessage[] = []
  app.daybook.bus.subscribe((m) => heard.push(m))
  const refused = await call({
    method: 'POST',
    url: '/v1/events',
    payload: [eventInput(), eventInput({ timestamp: '1980-01-01T00:00:00Z', end_timestamp: null })],
  })
  assert.equal(refused.statusCode, 422)
  assert.equal(heard.length, 0)
  await call({ method: 'POST', url: '/v1/events', payload: [eventInput()] })
  await call({ method: 'POST', url: '/v1/events', payload: [eventInput()] }) // a duplicate: nothing new
  // The event's position, before the input below takes the next one.
  const eventSeq = await app.daybook.store.changes.last()
  await call({
    method: 'POST',
    url: '/v1/input',
    payload: {
      source: 'kb',
      buckets: [
        { id: 'b1', timestamp_ms: Date.now(), kp: 4, lc: 0, rc: 0, mc: 0, mm: 0, scroll: 0 },
      ],
    },
  })
  assert.deepEqual(
    heard.map((m) => (m.type === 'changes' ? m.changes.map((c) => c.kind) : ['input'])),
    [['event'], ['input']],
  )
  const [events, input] = heard
  assert.ok(events?.type === 'changes' && events.changes[0]?.seq === eventSeq)
  assert.ok(
    input?.type === 'input' && input.samples[0]?.kp === 4 && input.samples[0].source === 'kb',
  )
})
