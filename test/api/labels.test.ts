import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { eventInput, startApp } from '../helpers.ts'

const T = Date.parse('2025-09-11T09:00:00Z') / 1000

describe('labels', () => {
  test('create, read, change, delete; each change is in the feed', async (t) => {
    const { call, app } = await startApp(t, { keys: { datakey: 'data', readkey: 'read_only' } })
    const created = await call({
      method: 'POST',
      url: '/v1/labels',
      payload: { text: 'release day', startUtc: T, endUtc: T + 3600, context: 'v1.2' },
    })
    assert.equal(created.statusCode, 200, created.body)
    const label = created.json()
    assert.match(label.id, /^[0-9a-f-]{36}$/)
    assert.deepEqual(
      { ...label, id: undefined, createdAt: undefined, updatedAt: undefined },
      {
        id: undefined,
        text: 'release day',
        context: 'v1.2',
        startUtc: T,
        endUtc: T + 3600,
        createdAt: undefined,
        updatedAt: undefined,
      },
    )
    const changed = await call({
      method: 'PUT',
      url: `/v1/labels/${label.id}`,
      payload: { text: 'launch day' },
    })
    assert.equal(changed.json().text, 'launch day')
    assert.equal(changed.json().startUtc, T)
    // Reading: recent first, or by range.
    await call({
      method: 'POST',
      url: '/v1/labels',
      payload: { text: 'later', startUtc: T + 7200, endUtc: T + 7300 },
    })
    const recent = (await call({ method: 'GET', url: '/v1/labels' })).json()
    assert.deepEqual(
      recent.map((l: { text: string }) => l.text),
      ['later', 'launch day'],
    )
    const ranged = (
      await call({ method: 'GET', url: `/v1/labels?startUtc=${T + 3000}&endUtc=${T + 3500}` })
    ).json()
    assert.deepEqual(
      ranged.map((l: { text: string }) => l.text),
      ['launch day'],
    )
    // A read-only token reads labels but cannot write them; the data scope can.
    const asRead = await app.inject({
      method: 'POST',
      url: '/v1/labels',
      headers: { authorization: 'Bearer readkey' },
      payload: { text: 'x', startUtc: T, endUtc: T },
    })
    assert.equal(asRead.statusCode, 403)
    const asData = await app.inject({
      method: 'POST',
      url: '/v1/labels',
      headers: { authorization: 'Bearer datakey' },
      payload: { text: 'x', startUtc: T, endUtc: T },
    })
    assert.equal(asData.statusCode, 200)
    assert.deepEqual((await call({ method: 'DELETE', url: `/v1/labels/${label.id}` })).json(), {
      ok: true,
    })
    const gone = await call({ method: 'DELETE', url: `/v1/labels/${label.id}` })
    assert.equal(gone.statusCode, 404)
    assert.equal(gone.json().code, 'label_not_found')
    const feed = (await call({ method: 'GET', url: '/v1/changes?after=0' })).json().changes
    const labelChanges = feed.filter((c: { kind: string }) => c.kind === 'label')
    assert.deepEqual(
      labelChanges.map((c: { op: string }) => c.op),
      ['upsert', 'upsert', 'delete'],
    )
  })

  test('search ranks by relevance (BM25) and matches word prefixes in text and context', async (t) => {
    const { call } = await startApp(t)
    for (const [text, context] of [
      ['planning the quarter', null],
      ['planning', 'planning planning: roadmap planning'],
      ['code review', 'plan for the review'],
    ] as const) {
      await call({
        method: 'POST',
        url: '/v1/labels',
        payload: { text, context, startUtc: T, endUtc: T + 60 },
      })
    }
    const found = (
      await call({ method: 'POST', url: '/v1/labels/search', payload: { query: 'plann' } })
    ).json()
    assert.deepEqual(
      found.map((l: { text: string }) => l.text),
      ['planning', 'planning the quarter'],
    )
    const both = (
      await call({ method: 'POST', url: '/v1/labels/search', payload: { query: 'review plan' } })
    ).json()
    assert.deepEqual(
      both.map((l: { text: string }) => l.text),
      ['code review'],
    )
    const none = await call({
      method: 'POST',
      url: '/v1/labels/search',
      payload: { query: '"*^(' },
    })
    assert.deepEqual(none.json(), [])
  })

  test('groupBy=label: the active time inside each label, by bucket', async (t) => {
    const { call } = await startApp(t)
    await call({
      method: 'POST',
      url: '/v1/events',
      payload: [
        eventInput({ timestamp: '2025-09-11T09:00:00Z', end_timestamp: '2025-09-11T11:00:00Z' }),
      ],
    })
    for (const [text, from, to] of [
      ['deep work', 0, 3600],
      ['meeting prep', 3000, 5400],
      ['evening', 36_000, 40_000],
    ] as const) {
      await call({
        method: 'POST',
        url: '/v1/labels',
        payload: { text, startUtc: T + from, endUtc: T + to },
      })
    }
    const rows = (
      await call({
        method: 'GET',
        url: '/v1/summary/buckets?preset[custom][start]=2025-09-11T00:00:00Z&preset[custom][end]=2025-09-12T00:00:00Z&preset[custom][bucket]=hour&groupBy=label&tz=UTC',
      })
    ).json()
    assert.deepEqual(rows, [
      { bucket: '2025-09-11 09:00:00', groupedValues: { 'deep work': 3600 }, groupMeta: null },
      { bucket: '2025-09-11 09:00:00', groupedValues: { 'meeting prep': 600 }, groupMeta: null },
      { bucket: '2025-09-11 10:00:00', groupedValues: { 'meeting prep': 1800 }, groupMeta: null },
    ])
  })

  test('bad labels are refused and change nothing', async (t) => {
    const { call } = await startApp(t)
    for (const [payload, code] of [
      [{ text: '', startUtc: T, endUtc: T }, 'invalid_body'],
      [{ text: 'x', startUtc: T, endUtc: T - 1 }, 'invalid_range'],
      [{ text: 'x', startUtc: 100, endUtc: 200 }, 'invalid_body'],
      [{ text: 'x', startUtc: T, endUtc: T, colour: 'red' }, 'invalid_body'],
    ] as const) {
      const res = await call({ method: 'POST', url: '/v1/labels', payload })
      assert.equal(res.statusCode, 422, JSON.stringify(payload))
      assert.equal(res.json().code, code)
    }
    const missing = await call({
      method: 'PUT',
      url: '/v1/labels/00000000-0000-4000-8000-000000000000',
      payload: { text: 'x' },
    })
    assert.equal(missing.statusCode, 404)
    const empty = await call({
      method: 'PUT',
      url: '/v1/labels/00000000-0000-4000-8000-000000000000',
      payload: {},
    })
    assert.equal(empty.statusCode, 422)
    assert.deepEqual((await call({ method: 'GET', url: '/v1/labels' })).json(), [])
  })
})
