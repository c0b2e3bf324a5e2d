import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_SETTINGS } from '../../src/domain/settings.ts'
import { startApp } from '../helpers.ts'

test('GET /v1/settings answers the defaults; PUT replaces only the keys given', async (t) => {
  const { call } = await startApp(t)
  assert.deepEqual((await call({ method: 'GET', url: '/v1/settings' })).json(), DEFAULT_SETTINGS)
  const put = await call({
    method: 'PUT',
    url: '/v1/settings',
    payload: { timezone: 'america/new_york', startOfDay: '04:30' },
  })
  assert.equal(put.statusCode, 200, put.body)
  assert.deepEqual(put.json(), {
    ...DEFAULT_SETTINGS,
    timezone: 'America/New_York',
    startOfDay: '04:30',
  })
  const priority = await call({
    method: 'PUT',
    url: '/v1/settings',
    payload: { sourcePriority: { mine: 10 } },
  })
  assert.deepEqual(priority.json().sourcePriority, { mine: 10 })
  assert.equal(priority.json().timezone, 'America/New_York')
  const back = await call({ method: 'PUT', url: '/v1/settings', payload: { timezone: null } })
  assert.equal(back.json().timezone, null)
})

test('bad settings are 422 naming the field, and change nothing', async (t) => {
  const { call } = await startApp(t)
  const cases: [unknown, string, string][] = [
    [{ timezone: 'Mars/Olympus' }, 'invalid_timezone', 'timezone'],
    [{ timezone: 'UTC', startOfDay: '25:00' }, 'invalid_start_of_day', 'startOfDay'],
    [{ startOfDay: '04:10' }, 'invalid_start_of_day', 'startOfDay'],
    [{ startOfDay: 4 }, 'invalid_body', 'body/startOfDay'],
    [{ sourcePriority: { vscode: 'high' } }, 'invalid_body', 'body/sourcePriority/vscode'],
    [{ timeZone: 'UTC' }, 'invalid_body', 'body/timeZone'],
    [{ inputRetentionDays: -1 }, 'invalid_body', 'body/inputRetentionDays'],
    [['UTC'], 'invalid_body', 'body'],
  ]
  for (const [payload, code, field] of cases) {
    const res = await call({ method: 'PUT', url: '/v1/settings', payload: payload as object })
    assert.equal(res.statusCode, 422, res.body)
    assert.equal(res.json().code, code)
    assert.equal(res.json().field, field)
  }
  assert.deepEqual((await call({ method: 'GET', url: '/v1/settings' })).json(), DEFAULT_SETTINGS)
})
