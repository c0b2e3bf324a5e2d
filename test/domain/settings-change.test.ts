import assert from 'node:assert/strict'
import { test } from 'node:test'
import { settingsEffects } from '../../src/domain/settings-change.ts'
import { DEFAULT_SETTINGS, type Settings } from '../../src/domain/settings.ts'

const base: Settings = { ...DEFAULT_SETTINGS }

test('settings that only change how answers are computed touch nothing stored', () => {
  assert.deepEqual(settingsEffects(base, { ...base, timezone: 'Europe/Berlin' }), {
    recount: false,
    rederive: false,
    ruleCategories: [],
  })
})

test('a new source priority recounts active time', () => {
  const after = { ...base, sourcePriority: { ...base.sourcePriority, 'skopio-*': 1 } }
  assert.deepEqual(settingsEffects(base, after), {
    recount: true,
    rederive: false,
    ruleCategories: [],
  })
})

test('new category rules recount active time and need their categories', () => {
  const [first] = base.categoryRules
  assert.ok(first)
  const after: Settings = { ...base, categoryRules: [{ ...first, category: 'Reading' }] }
  assert.deepEqual(settingsEffects(base, after), {
    recount: true,
    rederive: false,
    ruleCategories: ['Reading'],
  })
  // The same rules again (a new array) change nothing.
  assert.equal(
    settingsEffects(after, { ...after, categoryRules: [...after.categoryRules] }).recount,
    false,
  )
})

test('a new heartbeat timeout derives every stream again', () => {
  const after = { ...base, heartbeatTimeoutSec: base.heartbeatTimeoutSec + 60 }
  assert.deepEqual(settingsEffects(base, after), {
    recount: false,
    rederive: true,
    ruleCategories: [],
  })
})
