/**
 * Category rules: generic events (window watcher, browser) counted under the category a rule
 * gives them, in every summary, through the rollups too; a change of rules recounts history.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eventInput, startApp } from '../helpers.ts'

const at = (hhmm: string) => `2025-09-11T${hhmm}:00Z`
const windowEvent = (from: string, to: string, over: Record<string, unknown>) =>
  eventInput({
    timestamp: at(from),
    end_timestamp: at(to),
    duration: null,
    category: 'Other',
    entity_type: 'App',
    source_name: 'daybook-window',
    branch_name: null,
    language_name: null,
    ...over,
  })

test('rules give generic events their category; a change of rules recounts history', async (t) => {
  const { app, call } = await startApp(t, { now: Date.parse('2025-09-12T12:00:00Z') })
  const res = await call({
    method: 'POST',
    url: '/v1/events',
    payload: [
      windowEvent('09:00', '09:10', { app_name: 'code', entity_name: 'main.rs — daybook' }),
      windowEvent('09:10', '09:30', {
        app_name: 'firefox',
        category: 'Browsing',
        entity_type: 'Url',
        entity_name: 'meet.google.com/abc-defg-hij',
        project_name: 'meet.google.com',
      }),
      windowEvent('09:30', '09:35', { app_name: 'Slack', entity_name: 'general' }),
      windowEvent('09:35', '09:42', { app_name: 'gimp', entity_name: 'logo.xcf' }),
      // A plugin that names its category keeps it.
      eventInput({
        timestamp: at('10:00'),
        end_timestamp: at('10:03'),
        duration: null,
        category: 'Writing Docs',
        app_name: 'code',
      }),
    ],
  })
  assert.equal(res.statusCode, 200, res.body)
  const byCategory = async () => {
    const r = await call({
      url: '/v1/summary/buckets?preset[custom][start]=2025-09-11T00:00:00Z&preset[custom][end]=2025-09-12T00:00:00Z&preset[custom][bucket]=day&groupBy=category&tz=UTC',
    })
    assert.equal(r.statusCode, 200, r.body)
    const out: Record<string, number> = {}
    for (const row of r.json<{ groupedValues: Record<string, number> }[]>()) {
      Object.assign(out, row.groupedValues)
    }
    return out
  }
  const defaults = {
    Coding: 600,
    Meeting: 1200,
    Communicating: 300,
    Other: 420,
    'Writing Docs': 180,
  }
  assert.deepEqual(await byCategory(), defaults)
  // The same through the rollups, once they are current.
  await app.daybook.store.activeTime.settle()
  assert.deepEqual(await byCategory(), defaults)
  const total = await call({
    url: '/v1/summary/total?start=2025-09-11T00:00:00Z&end=2025-09-12T00:00:00Z&categories[]=Meeting',
  })
  assert.equal(total.body, '1200')

  // New rules: only image editors are named; history is counted again under them.
  const put = await call({
    method: 'PUT',
    url: '/v1/settings/categories',
    payload: { rules: [{ match: 'app', pattern: '^(gimp|inkscape)$', category: 'Design' }] },
  })
  assert.equal(put.statusCode, 200, put.body)
  assert.deepEqual(put.json(), {
    rules: [{ match: 'app', pattern: '^(gimp|inkscape)$', category: 'Design' }],
  })
  const recounted = { Other: 900, Browsing: 1200, Design: 420, 'Writing Docs': 180 }
  assert.deepEqual(await byCategory(), recounted)
  await app.daybook.store.activeTime.settle()
  assert.deepEqual(await byCategory(), recounted)
  assert.deepEqual((await call({ url: '/v1/settings/categories' })).json(), put.json())
})

test('a bad rule is refused, naming it, and changes nothing', async (t) => {
  const { call } = await startApp(t)
  const before = (await call({ url: '/v1/settings/categories' })).json()
  for (const [rules, field] of [
    [[{ match: 'app', pattern: '(unclosed', category: 'X' }], 'categoryRules/0/pattern'],
    [[{ match: 'app', pattern: 'a', category: '  ' }], 'categoryRules/0/category'],
  ] as const) {
    const r = await call({ method: 'PUT', url: '/v1/settings/categories', payload: { rules } })
    assert.equal(r.statusCode, 422, r.body)
    assert.equal(r.json<{ field: string }>().field, field)
  }
  const wrongKind = await call({
    method: 'PUT',
    url: '/v1/settings/categories',
    payload: { rules: [{ match: 'window', pattern: 'a', category: 'X' }] },
  })
  assert.equal(wrongKind.statusCode, 422)
  assert.match(wrongKind.json<{ message: string }>().message, /one of app, title, url/)
  assert.deepEqual((await call({ url: '/v1/settings/categories' })).json(), before)
})
