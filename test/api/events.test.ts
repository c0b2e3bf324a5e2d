import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { OWN_DEVICE, countRows, eventInput, startApp } from '../helpers.ts'

const DAY = 'preset[custom][start]=2025-09-11T00:00:00Z&preset[custom][end]=2025-09-12T00:00:00Z'

describe('POST /events', () => {
  test('stores a batch and answers with counts, at / and at /v1', async (t) => {
    const { call } = await startApp(t)
    const first = await call({ method: 'POST', url: '/events', payload: [eventInput()] })
    assert.equal(first.statusCode, 200)
    assert.deepEqual(first.json(), { inserted: 1, duplicates: 0, updated: 0 })
    const second = await call({
      method: 'POST',
      url: '/v1/events',
      payload: [
        eventInput({ timestamp: '2025-09-11T13:00:00Z', end_timestamp: '2025-09-11T13:01:00Z' }),
      ],
    })
    assert.deepEqual(second.json(), { inserted: 1, duplicates: 0, updated: 0 })
    const list = await call({ method: 'GET', url: `/v1/events?${DAY}` })
    assert.equal(list.json().Flat.length, 2)
  })

  test("Skopio's README example (no entity_type, no project_path) is accepted", async (t) => {
    const { call } = await startApp(t)
    const readme = {
      timestamp: '2025-09-11T12:34:56Z',
      end_timestamp: '2025-09-11T12:36:56Z',
      duration: 120,
      category: 'Coding',
      app_name: 'Code',
      entity_name: 'main.rs',
      project_name: 'skopio',
      branch_name: 'main',
      language_name: 'Rust',
      source_name: 'skopio-desktop',
    }
    const res = await call({ method: 'POST', url: '/events', payload: [readme] })
    assert.equal(res.statusCode, 200, res.body)
    const [event] = (await call({ method: 'GET', url: `/events?${DAY}` })).json().Flat
    assert.equal(event.entityType, null)
    assert.equal(event.project, 'skopio')
    const [project] = (await call({ method: 'GET', url: '/projects' })).json().data
    assert.equal(project.rootPath, null)
  })

  test("round trip: GET returns Skopio's FullEvent shape", async (t) => {
    const { call } = await startApp(t)
    await call({ method: 'POST', url: '/events', payload: [eventInput()] })
    const res = await call({ method: 'GET', url: `/events?${DAY}` })
    assert.equal(res.statusCode, 200)
    const { Flat } = res.json()
    assert.equal(Flat.length, 1)
    const e = Flat[0]
    assert.match(e.id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    assert.deepEqual(
      { ...e, id: undefined },
      {
        id: undefined,
        timestamp: '2025-09-11T12:34:56Z',
        endTimestamp: '2025-09-11T12:36:56Z',
        duration: 120,
        category: 'Coding',
        app: 'Code',
        entity: 'main.rs',
        entityType: 'File',
        project: 'skopio',
        branch: 'main',
        language: 'Rust',
        source: 'skopio-vscode',
        device: OWN_DEVICE,
      },
    )
  })

  test('missing times are derived: end from duration, start from end − duration', async (t) => {
    const { call } = await startApp(t)
    await call({
      method: 'POST',
      url: '/events',
      payload: [
        eventInput({ end_timestamp: undefined, duration: 60, entity_name: 'a' }),
        eventInput({
          timestamp: null,
          end_timestamp: '2025-09-11T15:00:00Z',
          duration: 30,
          entity_name: 'b',
        }),
        eventInput({ end_timestamp: null, duration: null, entity_name: 'c' }),
      ],
    })
    const events = (await call({ method: 'GET', url: `/events?${DAY}` })).json().Flat
    const byEntity = Object.fromEntries(events.map((e: Record<string, unknown>) => [e.entity, e]))
    assert.equal(byEntity.a.endTimestamp, '2025-09-11T12:35:56Z')
    assert.equal(byEntity.b.timestamp, '2025-09-11T14:59:30Z')
    assert.equal(byEntity.c.endTimestamp, byEntity.c.timestamp)
    assert.equal(byEntity.c.duration, 0)
  })

  test('a re-sent event is a no-op, within a batch and across batches', async (t) => {
    const { call } = await startApp(t)
    const batch = [eventInput(), eventInput(), eventInput({ entity_name: 'lib.rs' })]
    assert.deepEqual((await call({ method: 'POST', url: '/events', payload: batch })).json(), {
      inserted: 2,
      duplicates: 1,
      updated: 0,
    })
    assert.deepEqual((await call({ method: 'POST', url: '/events', payload: batch })).json(), {
      inserted: 0,
      duplicates: 3,
      updated: 0,
    })
    assert.equal((await call({ method: 'GET', url: `/events?${DAY}` })).json().Flat.length, 2)
  })

  test('a re-sent event with a later end extends the stored one; an earlier end is a duplicate', async (t) => {
    const { call } = await startApp(t)
    const at = (end: string, duration: number) => eventInput({ end_timestamp: end, duration })
    const post = async (payload: unknown[]) =>
      (await call({ method: 'POST', url: '/events', payload })).json()
    assert.deepEqual(await post([at('2025-09-11T12:35:56Z', 60)]), {
      inserted: 1,
      duplicates: 0,
      updated: 0,
    })
    const [first] = (await call({ method: 'GET', url: `/events?${DAY}` })).json().Flat
    // A heartbeat that grew: same start and names, later end.
    assert.deepEqual(await post([at('2025-09-11T12:40:56Z', 360)]), {
      inserted: 0,
      duplicates: 0,
      updated: 1,
    })
    // Late, shorter copies change nothing; within one batch the longest wins.
    assert.deepEqual(
      await post([
        at('2025-09-11T12:36:56Z', 120),
        at('2025-09-11T12:45:56Z', 600),
        at('2025-09-11T12:44:56Z', 540),
      ]),
      { inserted: 0, duplicates: 2, updated: 1 },
    )
    const events = (await call({ method: 'GET', url: `/events?${DAY}` })).json().Flat
    assert.equal(events.length, 1)
    assert.equal(events[0].id, first.id)
    assert.equal(events[0].endTimestamp, '2025-09-11T12:45:56Z')
    assert.equal(events[0].duration, 600)
    const total = await call({
      method: 'GET',
      url: '/summary/total?start=2025-09-11T00:00:00Z&end=2025-09-12T00:00:00Z',
    })
    assert.equal(total.json(), 11 * 60)
  })

  test('devices: an event names its device; the same names on two devices are two events', async (t) => {
    const { call } = await startApp(t)
    const res = await call({
      method: 'POST',
      url: '/events',
      payload: [eventInput(), eventInput({ device: 'laptop-2' })],
    })
    assert.deepEqual(res.json(), { inserted: 2, duplicates: 0, updated: 0 })
    const events = (await call({ method: 'GET', url: `/events?${DAY}` })).json().Flat
    assert.deepEqual(
      events.map((e: { device: string }) => e.device).sort(),
      [OWN_DEVICE, 'laptop-2'].sort(),
    )
    assert.notEqual(events[0].id, events[1].id)
    const devices = (await call({ method: 'GET', url: '/v1/devices' })).json()
    assert.deepEqual(
      devices.map((d: { name: string; own: boolean; events: number; lastSeen: string }) => [
        d.name,
        d.own,
        d.events,
        d.lastSeen,
      ]),
      [
        [OWN_DEVICE, true, 1, '2025-09-11T12:36:56Z'],
        ['laptop-2', false, 1, '2025-09-11T12:36:56Z'],
      ],
    )
    const only = await call({ method: 'GET', url: `/events?${DAY}&devices[]=laptop-2` })
    assert.deepEqual(
      only.json().Flat.map((e: { device: string }) => e.device),
      ['laptop-2'],
    )
  })

  test('a device is renamed; its events follow; a taken name is a 409', async (t) => {
    const { call } = await startApp(t)
    await call({
      method: 'POST',
      url: '/events',
      payload: [eventInput({ device: 'old-name' }), eventInput()],
    })
    const devices = (await call({ method: 'GET', url: '/v1/devices' })).json()
    const other = devices.find((d: { own: boolean }) => !d.own)
    const renamed = await call({
      method: 'PUT',
      url: `/v1/devices/${other.id}`,
      payload: { name: 'desk' },
    })
    assert.equal(renamed.statusCode, 200, renamed.body)
    assert.equal(renamed.json().name, 'desk')
    const names = (await call({ method: 'GET', url: `/events?${DAY}` }))
      .json()
      .Flat.map((e: { device: string }) => e.device)
    assert.ok(names.includes('desk'))
    const taken = await call({
      method: 'PUT',
      url: `/v1/devices/${other.id}`,
      payload: { name: OWN_DEVICE },
    })
    assert.equal(taken.statusCode, 409)
    assert.equal(taken.json().code, 'device_name_taken')
    const missing = await call({
      method: 'PUT',
      url: '/v1/devices/00000000-0000-4000-8000-000000000000',
      payload: { name: 'x' },
    })
    assert.equal(missing.statusCode, 404)
  })

  test('times before 1990 are refused with a 422 naming the field; nothing is stored', async (t) => {
    const { call, dbFile } = await startApp(t)
    for (const timestamp of [
      '1970-01-01T00:00:00Z',
      '0001-01-01T00:00:00Z',
      '1989-12-31T23:59:59Z',
    ]) {
      const res = await call({
        method: 'POST',
        url: '/events',
        payload: [
          eventInput(),
          eventInput({ timestamp, end_timestamp: null, duration: 10, entity_name: 'old' }),
        ],
      })
      assert.equal(res.statusCode, 422, res.body)
      assert.equal(res.json().code, 'too_early')
      assert.equal(res.json().field, 'body/1/timestamp')
    }
    const afk = await call({
      method: 'POST',
      url: '/afk',
      payload: [{ afk_start: '1980-01-01T00:00:00Z' }],
    })
    assert.equal(afk.statusCode, 422)
    assert.equal(afk.json().field, 'body/0/afk_start')
    assert.equal(countRows(dbFile, 'events'), 0)
    assert.equal(countRows(dbFile, 'afk_periods'), 0)
  })

  test('the same event on the same named device gets the same id in a different database', async (t) => {
    const a = await startApp(t)
    const b = await startApp(t)
    // Different histories first, so row ids and dimension ids differ between the two databases.
    await b.call({
      method: 'POST',
      url: '/events',
      payload: [
        eventInput({
          app_name: 'Other',
          project_name: 'elsewhere',
          timestamp: '2025-09-11T01:00:00Z',
        }),
      ],
    })
    for (const { call } of [a, b])
      await call({ method: 'POST', url: '/events', payload: [eventInput({ device: 'laptop-2' })] })
    const idOf = async (call: typeof a.call) =>
      (await call({ method: 'GET', url: `/events?${DAY}&apps=Code` })).json().Flat[0].id
    assert.equal(await idOf(a.call), await idOf(b.call))
  })

  test('the answer comes after the commit: another connection sees the rows at once', async (t) => {
    const { call, dbFile } = await startApp(t)
    const payload = Array.from({ length: 50 }, (_, i) =>
      eventInput({ entity_name: `f${i}.rs`, timestamp: '2025-09-11T10:00:00Z' }),
    )
    assert.equal((await call({ method: 'POST', url: '/events', payload })).statusCode, 200)
    assert.equal(countRows(dbFile, 'events'), 50)
  })

  test('a batch with one bad event stores nothing', async (t) => {
    const { call, dbFile } = await startApp(t)
    const payload = [
      eventInput({ entity_name: 'ok1' }),
      eventInput({ entity_name: 'ok2' }),
      eventInput({ entity_name: 'bad', end_timestamp: '2025-09-11T12:00:00Z' }), // ends before it starts
    ]
    const res = await call({ method: 'POST', url: '/events', payload })
    assert.equal(res.statusCode, 422)
    assert.equal(res.json().field, 'body/2/end_timestamp')
    for (const table of ['events', 'apps', 'projects', 'entities']) {
      assert.equal(countRows(dbFile, table), 0, table)
    }
  })
})

describe('GET /events', () => {
  const seed = [
    eventInput({
      timestamp: '2025-09-11T09:00:00Z',
      end_timestamp: '2025-09-11T09:10:00Z',
      app_name: 'Code',
      language_name: 'Rust',
      project_name: 'daybook',
      branch_name: 'main',
    }),
    eventInput({
      timestamp: '2025-09-11T08:00:00Z',
      end_timestamp: '2025-09-11T08:30:00Z',
      app_name: 'Firefox',
      category: 'Browsing',
      language_name: null,
      branch_name: null,
      project_name: 'mdn',
      entity_name: '/docs',
      entity_type: 'Url',
      source_name: 'skopio-desktop',
    }),
    eventInput({
      timestamp: '2025-09-11T10:00:00Z',
      end_timestamp: '2025-09-11T10:05:00Z',
      app_name: 'Code',
      language_name: 'TypeScript',
      project_name: 'web',
      branch_name: 'dev',
    }),
    eventInput({
      timestamp: '2025-09-12T10:00:00Z',
      end_timestamp: '2025-09-12T10:05:00Z',
      app_name: 'Zed',
      project_name: 'next-day',
    }),
  ]

  test('flat, in time order, only events overlapping the range', async (t) => {
    const { call } = await startApp(t)
    await call({ method: 'POST', url: '/events', payload: seed })
    const { Flat } = (await call({ method: 'GET', url: `/events?${DAY}` })).json()
    assert.deepEqual(
      Flat.map((e: { timestamp: string }) => e.timestamp),
      ['2025-09-11T08:00:00Z', '2025-09-11T09:00:00Z', '2025-09-11T10:00:00Z'],
    )
  })

  test('an event crossing the range edge is returned whole', async (t) => {
    const { call } = await startApp(t)
    await call({
      method: 'POST',
      url: '/events',
      payload: [
        eventInput({ timestamp: '2025-09-10T23:50:00Z', end_timestamp: '2025-09-11T00:20:00Z' }),
      ],
    })
    const { Flat } = (await call({ method: 'GET', url: `/events?${DAY}` })).json()
    assert.equal(Flat.length, 1)
    assert.equal(Flat[0].timestamp, '2025-09-10T23:50:00Z')
  })

  test('grouped: groups in name order, events lacking the dimension left out', async (t) => {
    const { call } = await startApp(t)
    await call({ method: 'POST', url: '/events', payload: seed })
    const res = await call({ method: 'GET', url: `/events?${DAY}&groupBy=language` })
    const { Grouped } = res.json()
    assert.deepEqual(
      Grouped.map((g: { group: string; events: unknown[] }) => [g.group, g.events.length]),
      [
        ['Rust', 1],
        ['TypeScript', 1],
      ],
    )
    const byApp = (await call({ method: 'GET', url: `/events?${DAY}&groupBy=app` })).json().Grouped
    assert.deepEqual(
      byApp.map((g: { group: string }) => g.group),
      ['Code', 'Firefox'],
    )
    // Same request, same bytes.
    const again = await call({ method: 'GET', url: `/events?${DAY}&groupBy=language` })
    assert.equal(again.body, res.body)
  })

  test('filters: apps, projects, categories, entities, branches, languages (ANDed)', async (t) => {
    const { call } = await startApp(t)
    await call({ method: 'POST', url: '/events', payload: seed })
    const count = async (q: string) =>
      (await call({ method: 'GET', url: `/events?${DAY}&${q}` })).json().Flat.length
    assert.equal(await count('apps=Code'), 2)
    assert.equal(await count('apps[0]=Code&apps[1]=Firefox'), 3)
    assert.equal(await count('projects[]=daybook&projects[]=mdn'), 2)
    assert.equal(await count('categories=Browsing'), 1)
    assert.equal(await count('entities=%2Fdocs'), 1)
    assert.equal(await count('branches=dev'), 1)
    assert.equal(await count('languages=Rust&languages=TypeScript'), 2)
    assert.equal(await count('apps=Code&languages=Rust'), 1)
    assert.equal(await count('apps=Nothing'), 0)
  })

  test('bracket forms: literal, percent-encoded, indexed, empty, repeated', async (t) => {
    const { call } = await startApp(t)
    await call({ method: 'POST', url: '/events', payload: seed })
    const forms = [
      'preset[custom][start]=2025-09-11T00:00:00Z&preset[custom][end]=2025-09-12T00:00:00Z&apps[0]=Code',
      'preset%5Bcustom%5D%5Bstart%5D=2025-09-11T00%3A00%3A00Z&preset%5Bcustom%5D%5Bend%5D=2025-09-12T00%3A00%3A00Z&apps%5B0%5D=Code',
      'preset[custom][start]=2025-09-11T00:00:00Z&preset[custom][end]=2025-09-12T00:00:00Z&apps[]=Code',
      'preset[custom][start]=2025-09-11T00:00:00Z&preset[custom][end]=2025-09-12T00:00:00Z&apps=Code',
      // An unencoded "+" offset arrives as a space; it is read as the offset it was meant to be.
      'preset[custom][start]=2025-09-11T02:00:00+02:00&preset[custom][end]=2025-09-12T02:00:00%2B02:00&apps=Code',
    ]
    for (const q of forms) {
      const res = await call({ method: 'GET', url: `/events?${q}` })
      assert.equal(res.statusCode, 200, `${q}: ${res.body}`)
      assert.equal(res.json().Flat.length, 2, q)
    }
  })

  test('named presets use the request zone: today in Berlin on the spring-forward day', async (t) => {
    const { call } = await startApp(t, { now: Date.parse('2025-03-30T21:59:30Z') })
    const ev = (start: string, end: string, entity: string) =>
      eventInput({ timestamp: start, end_timestamp: end, entity_name: entity })
    await call({
      method: 'POST',
      url: '/events',
      payload: [
        ev('2025-03-29T22:58:00Z', '2025-03-29T22:59:00Z', 'before'), // 23:58 on the 29th, CET
        ev('2025-03-29T23:00:00Z', '2025-03-29T23:01:00Z', 'first'), // 00:00 on the 30th
        ev('2025-03-30T21:58:00Z', '2025-03-30T21:59:00Z', 'last'), // 23:58 CEST on the 30th
        ev('2025-03-30T22:00:00Z', '2025-03-30T22:01:00Z', 'after'), // 00:00 on the 31st
      ],
    })
    const names = async (q: string) =>
      (await call({ method: 'GET', url: `/events?${q}` }))
        .json()
        .Flat.map((e: { entity: string }) => e.entity)
    assert.deepEqual(await names('preset=today&tz=Europe/Berlin'), ['first', 'last'])
    assert.deepEqual(await names('preset=yesterday&tz=Europe/Berlin'), ['before'])
    // In New York, "today" (the 30th, EDT) starts at 04:00Z and takes in the last two.
    assert.deepEqual(await names('preset=today&tz=America/New_York'), ['last', 'after'])
    assert.deepEqual(
      await names('preset[lastNDays][0]=2&preset[lastNDays][1]=true&tz=Europe/Berlin'),
      ['before', 'first', 'last'],
    )
    assert.deepEqual(await names('preset[lastNDays]=1&tz=Europe/Berlin'), ['first', 'last'])
  })

  test('the timezone setting applies when the request names no zone', async (t) => {
    const { call, app } = await startApp(t, { now: Date.parse('2025-03-30T12:00:00Z') })
    await app.daybook.store.settings.save({ timezone: 'Asia/Kolkata' })
    await call({
      method: 'POST',
      url: '/events',
      payload: [
        eventInput({ timestamp: '2025-03-29T18:45:00Z', end_timestamp: '2025-03-29T18:50:00Z' }),
      ],
    })
    // 18:45Z on the 29th is 00:15 on the 30th in Kolkata: today there, yesterday in UTC.
    assert.equal((await call({ method: 'GET', url: '/events?preset=today' })).json().Flat.length, 1)
    assert.equal(
      (await call({ method: 'GET', url: '/events?preset=today&tz=UTC' })).json().Flat.length,
      0,
    )
  })
})

describe('event listings are paged', () => {
  test('limit and the next-cursor header walk every event exactly once, long ones included', async (t) => {
    const { call } = await startApp(t)
    const payload = Array.from({ length: 25 }, (_, i) =>
      eventInput({
        // Several events share a start: the cursor orders them by id.
        timestamp: `2025-09-11T10:${String(Math.floor(i / 3)).padStart(2, '0')}:00Z`,
        end_timestamp: `2025-09-11T${i === 7 ? '14' : '10'}:${String(Math.floor(i / 3) + 1).padStart(2, '0')}:00Z`,
        entity_name: `f${i}.rs`,
      }),
    )
    await call({ method: 'POST', url: '/events', payload })
    const seen: string[] = []
    let after: string | undefined
    let pages = 0
    for (;;) {
      const res = await call({
        method: 'GET',
        url: `/v1/events?${DAY}&limit=7${after ? `&after=${after}` : ''}`,
      })
      assert.equal(res.statusCode, 200, res.body)
      pages++
      seen.push(...res.json().Flat.map((e: { entity: string }) => e.entity))
      const next = res.headers['daybook-next-cursor']
      if (next === undefined) break
      after = String(next)
    }
    assert.equal(pages, 4)
    assert.equal(seen.length, 25)
    assert.equal(new Set(seen).size, 25)
  })

  test('the default page is bounded; a bad cursor or limit is a 400', async (t) => {
    const { call } = await startApp(t)
    for (const [q, code] of [
      ['limit=0', 'invalid_query'],
      ['limit=10001', 'invalid_query'],
      ['after=garbage', 'invalid_cursor'],
    ]) {
      const res = await call({ method: 'GET', url: `/v1/events?${DAY}&${q}` })
      assert.equal(res.statusCode, 400, q)
      assert.equal(res.json().code, code, q)
    }
  })
})

describe('POST /v1/events/delete', () => {
  test('deletes by id, by start range, by source; deleted events stay deleted and the feed says so', async (t) => {
    const { call } = await startApp(t)
    const payload = [
      eventInput({ entity_name: 'a.rs' }),
      eventInput({
        entity_name: 'b.rs',
        timestamp: '2025-09-11T14:00:00Z',
        end_timestamp: '2025-09-11T14:10:00Z',
      }),
      eventInput({
        entity_name: 'c.rs',
        source_name: 'daybook-window',
        timestamp: '2025-09-11T16:00:00Z',
        end_timestamp: '2025-09-11T16:05:00Z',
      }),
      eventInput({
        entity_name: 'd.rs',
        timestamp: '2025-09-11T18:00:00Z',
        end_timestamp: '2025-09-11T18:05:00Z',
      }),
    ]
    await call({ method: 'POST', url: '/events', payload })
    const list = async () =>
      (await call({ method: 'GET', url: `/v1/events?${DAY}` })).json().Flat as {
        id: string
        entity: string
      }[]
    const a = (await list()).find((e) => e.entity === 'a.rs') as { id: string }
    const del = async (body: Record<string, unknown>) =>
      call({ method: 'POST', url: '/v1/events/delete', payload: body })
    assert.deepEqual((await del({ ids: [a.id] })).json(), { deleted: 1 })
    assert.deepEqual((await del({ sources: ['daybook-window'] })).json(), { deleted: 1 })
    assert.deepEqual(
      (await del({ start: '2025-09-11T13:00:00Z', end: '2025-09-11T15:00:00Z' })).json(),
      { deleted: 1 },
    )
    assert.deepEqual(
      (await list()).map((e) => e.entity),
      ['d.rs'],
    )
    const total = await call({
      method: 'GET',
      url: '/summary/total?start=2025-09-11T00:00:00Z&end=2025-09-12T00:00:00Z',
    })
    assert.equal(total.json(), 300)
    // Sent again, a deleted event is a duplicate: a collector's spool cannot bring it back.
    assert.deepEqual((await call({ method: 'POST', url: '/events', payload })).json(), {
      inserted: 0,
      duplicates: 4,
      updated: 0,
    })
    const feed = (await call({ method: 'GET', url: '/v1/changes?after=0' })).json()
    const deletions = feed.changes.filter((c: { op: string }) => c.op === 'delete')
    assert.equal(deletions.length, 3)
    assert.ok(deletions.some((c: { data: { id: string } }) => c.data.id === a.id))
  })

  test('needs a condition, an admin token, and well-formed values', async (t) => {
    const { call, app } = await startApp(t, { keys: { readkey: 'read_only', datakey: 'data' } })
    for (const [body, status, code] of [
      [{}, 422, 'no_condition'],
      [{ ids: ['not-a-uuid'] }, 422, 'invalid_body'],
      [{ start: 'yesterday' }, 422, 'invalid_body'],
      [{ start: '2025-09-12T00:00:00Z', end: '2025-09-11T00:00:00Z' }, 422, 'invalid_range'],
      [{ everything: true }, 422, 'invalid_body'],
    ] as const) {
      const res = await call({ method: 'POST', url: '/v1/events/delete', payload: body })
      assert.equal(res.statusCode, status, JSON.stringify(body))
      assert.equal(res.json().code, code, JSON.stringify(body))
    }
    for (const key of ['readkey', 'datakey']) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/events/delete',
        headers: { authorization: `Bearer ${key}` },
        payload: { sources: ['x'] },
      })
      assert.equal(res.statusCode, 403)
    }
  })
})
