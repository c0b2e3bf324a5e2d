import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eventInput, startApp } from '../helpers.ts'

const at = (hhmm: string) => `2025-09-11T${hhmm}:00Z`
const ev = (from: string, to: string, extra: Record<string, unknown> = {}) =>
  eventInput({ timestamp: at(from), end_timestamp: at(to), ...extra })

test('the timeline: overlaps resolved, time away removed, pieces of one activity joined', async (t) => {
  const { call } = await startApp(t, { now: Date.parse('2025-09-12T12:00:00Z') })
  // The editor (skopio-vscode, main.rs) runs 09:00-10:00; a window event 09:20-09:30 of lower
  // priority changes nothing; a browser event 09:30-09:40 of higher priority wins that stretch;
  // AFK 09:50-09:55.
  await call({
    method: 'PUT',
    url: '/v1/settings',
    payload: { sourcePriority: { 'daybook-browser': 100, 'skopio-vscode': 50, '*': 0 } },
  })
  await call({
    method: 'POST',
    url: '/v1/events',
    payload: [
      ev('09:00', '10:00'),
      ev('09:20', '09:30', {
        source_name: 'daybook-window',
        app_name: 'Terminal',
        category: 'Other',
        entity_name: 'bash',
        project_name: 'terminal',
        branch_name: null,
        language_name: null,
      }),
      ev('09:30', '09:40', {
        source_name: 'daybook-browser',
        app_name: 'Firefox',
        category: 'Browsing',
        entity_name: 'https://docs.rs',
        entity_type: 'Url',
        project_name: 'docs.rs',
        branch_name: null,
        language_name: null,
      }),
    ],
  })
  await call({
    method: 'POST',
    url: '/v1/afk',
    payload: [{ afk_start: at('09:50'), afk_end: at('09:55') }],
  })
  const range = `start=${at('00:00')}&end=${at('23:59')}`
  const res = await call({ method: 'GET', url: `/v1/timeline?${range}&tz=UTC` })
  assert.equal(res.statusCode, 200, res.body)
  const body = res.json()
  const spans = body.stretches.map(
    (s: { start: string; end: string; app: string; seconds: number }) => [
      s.start,
      s.end,
      s.app,
      s.seconds,
    ],
  )
  const total = await call({ method: 'GET', url: `/v1/summary/total?${range}` })
  assert.deepEqual(spans, [
    [at('09:00'), at('09:30'), 'Code', 1800],
    [at('09:30'), at('09:40'), 'Firefox', 600],
    [at('09:40'), at('09:50'), 'Code', 600],
    [at('09:55'), at('10:00'), 'Code', 300],
  ])
  assert.equal(body.activeSeconds, Number(total.body))
  assert.equal(body.activeSeconds, 55 * 60)
  assert.equal(body.timeZone, 'UTC')
  assert.equal(body.next, null)
  assert.equal(body.stretches[1].project, 'docs.rs')
  assert.equal(body.stretches[1].entityType, 'Url')

  // Paged: two at a time, the cursor is the next stretch's start, nothing repeats or is lost.
  const pages: unknown[] = []
  let after: string | null = null
  for (;;) {
    const q: string = after === null ? '' : `&after=${encodeURIComponent(after)}`
    const page = (await call({ method: 'GET', url: `/v1/timeline?${range}&limit=2${q}` })).json()
    pages.push(...page.stretches)
    assert.equal(page.activeSeconds, 55 * 60)
    if (page.next === null) break
    after = page.next
  }
  assert.deepEqual(pages, body.stretches)
})

test('the timeline needs a bounded range of at most 31 days; bad input changes nothing', async (t) => {
  const { call } = await startApp(t, { now: Date.parse('2025-09-12T12:00:00Z') })
  const missing = await call({ method: 'GET', url: `/v1/timeline?start=${at('00:00')}` })
  assert.equal(missing.statusCode, 400)
  assert.equal(missing.json().code, 'missing_range')
  const long = await call({
    method: 'GET',
    url: '/v1/timeline?start=2025-01-01T00:00:00Z&end=2025-03-01T00:00:00Z',
  })
  assert.equal(long.statusCode, 422)
  assert.equal(long.json().code, 'range_too_long')
  const both = await call({
    method: 'GET',
    url: `/v1/timeline?preset=today&start=${at('00:00')}&end=${at('01:00')}`,
  })
  assert.equal(both.statusCode, 400)
  const badCursor = await call({ method: 'GET', url: '/v1/timeline?preset=today&after=soon' })
  assert.equal(badCursor.statusCode, 400)
  assert.equal(badCursor.json().field, 'after')
  const month = await call({ method: 'GET', url: '/v1/timeline?preset=lastMonth' })
  assert.equal(month.statusCode, 200)
  assert.deepEqual(month.json().stretches, [])
})
