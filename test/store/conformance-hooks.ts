/**
 * The hooks part of the store conformance suite (called from `conformance.ts`): rules and their
 * state replaced as a whole and kept in order, a state saved with its firings in one step, the
 * log paged newest first and counted, actions finished, running ones closed after a stop, the
 * log pruned, do-not-disturb saved.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { DEFAULT_DND } from '../../src/domain/hooks/dnd.ts'
import { initialState } from '../../src/domain/hooks/firing.ts'
import { runningResult } from '../../src/domain/hooks/log.ts'
import type { HookRule } from '../../src/domain/hooks/rules.ts'
import type { StoredHook } from '../../src/store/ports.ts'
import type { StoreFactory } from './conformance.ts'

const T0 = Date.parse('2025-09-11T09:00:00Z')

function rule(id: string, overrides: Partial<HookRule> = {}): HookRule {
  return {
    id,
    name: `rule ${id}`,
    enabled: true,
    when: { kind: 'activity', match: { app: ['code'] }, minutes: 50 },
    then: [{ kind: 'stream' }, { kind: 'webhook', url: 'http://127.0.0.1:9/x', secret: 's' }],
    cooldownMinutes: 0,
    ...overrides,
  }
}

const hook = (id: string, at = T0): StoredHook => ({ rule: rule(id), state: initialState(at) })

export function hooksConformance(name: string, open: StoreFactory): void {
  describe(`${name}: hooks`, () => {
    test('rules and their state are replaced as a whole and listed in the order given', async (t) => {
      const store = await open(t)
      assert.deepEqual(await store.hooks.list(), [])
      const first = [hook('b'), hook('a'), hook('c')]
      await store.hooks.replace(first)
      assert.deepEqual(await store.hooks.list(), first)
      const second = [{ ...hook('c', T0 + 1), rule: rule('c', { enabled: false }) }, hook('d')]
      await store.hooks.replace(second)
      assert.deepEqual(await store.hooks.list(), second)
      await store.hooks.replace([])
      assert.deepEqual(await store.hooks.list(), [])
    })

    test('a state is saved with its firings at once; an unknown rule changes nothing', async (t) => {
      const store = await open(t)
      await store.hooks.replace([hook('a'), hook('b')])
      const state = {
        ...initialState(T0),
        watermark: { at: T0 + 60_000, key: 'activity:1' },
        handled: [{ at: T0, key: 'x' }],
        lastFiredMs: T0 + 61_000,
      }
      const actions = [runningResult('stream'), runningResult('webhook')]
      const ids = await store.hooks.saveState('a', state, [
        { firedMs: T0 + 61_000, payload: { n: 1 }, actions },
        { firedMs: T0 + 61_000, payload: { n: 2, nested: { ok: true } }, actions },
      ])
      assert.ok(ids !== null && ids.length === 2 && (ids[1] as number) > (ids[0] as number))
      const listed = await store.hooks.list()
      assert.deepEqual(listed.find((h) => h.rule.id === 'a')?.state, state)
      assert.deepEqual(listed.find((h) => h.rule.id === 'b')?.state, initialState(T0))
      // Without firings: the state alone.
      assert.deepEqual(await store.hooks.saveState('b', state), [])
      assert.equal(
        await store.hooks.saveState('gone', state, [{ firedMs: T0, payload: {}, actions }]),
        null,
      )
      assert.equal(await store.hooks.logCount(), 2)
      assert.equal(await store.hooks.logCount('gone'), 0)
    })

    test('the log pages newest first, by rule or all, and counts', async (t) => {
      const store = await open(t)
      await store.hooks.replace([hook('a'), hook('b')])
      for (let i = 0; i < 5; i++) {
        await store.hooks.saveState(i % 2 === 0 ? 'a' : 'b', initialState(T0), [
          { firedMs: T0 + i, payload: { i }, actions: [runningResult('stream')] },
        ])
      }
      const all = await store.hooks.log({ limit: 10, offset: 0 })
      assert.deepEqual(
        all.map((e) => (e.payload as { i: number }).i),
        [4, 3, 2, 1, 0],
      )
      assert.deepEqual(all[0], {
        id: all[0]?.id,
        hookId: 'a',
        firedMs: T0 + 4,
        payload: { i: 4 },
        actions: [runningResult('stream')],
      })
      const page = await store.hooks.log({ limit: 2, offset: 1 })
      assert.deepEqual(
        page.map((e) => (e.payload as { i: number }).i),
        [3, 2],
      )
      const ofA = await store.hooks.log({ limit: 10, offset: 0, hookId: 'a' })
      assert.deepEqual(
        ofA.map((e) => (e.payload as { i: number }).i),
        [4, 2, 0],
      )
      assert.equal(await store.hooks.logCount(), 5)
      assert.equal(await store.hooks.logCount('b'), 2)
      // Entries outlive their rule.
      await store.hooks.replace([])
      assert.equal(await store.hooks.logCount('a'), 3)
    })

    test('finished actions are recorded; those still running after a stop are closed as interrupted', async (t) => {
      const store = await open(t)
      await store.hooks.replace([hook('a')])
      const [done, running] = (await store.hooks.saveState('a', initialState(T0), [
        { firedMs: T0, payload: {}, actions: [runningResult('webhook')] },
        { firedMs: T0, payload: {}, actions: [runningResult('command'), runningResult('notify')] },
      ])) as [number, number]
      const result = {
        kind: 'webhook' as const,
        ok: true,
        status: 204,
        error: null,
        durationMs: 12,
        attempts: 1,
      }
      assert.equal(await store.hooks.updateActions(done, [{ index: 0, result }]), true)
      assert.equal(await store.hooks.updateActions(999_999, [{ index: 0, result }]), false)
      // The notification waits for do-not-disturb to end: waiting is not running.
      const waiting = {
        kind: 'notify' as const,
        ok: null,
        status: 'waiting',
        error: null,
        durationMs: 0,
      }
      // One action at a time: the other keeps its result.
      assert.equal(await store.hooks.updateActions(running, [{ index: 1, result: waiting }]), true)
      assert.equal(await store.hooks.closeRunning(), 1)
      assert.equal(await store.hooks.closeRunning(), 0)
      const [latest, first] = await store.hooks.log({ limit: 10, offset: 0 })
      assert.deepEqual(first?.actions, [result])
      assert.deepEqual(latest?.actions, [
        {
          kind: 'command',
          ok: false,
          status: 'interrupted',
          error: 'the daemon stopped before this action finished',
          durationMs: 0,
        },
        waiting,
      ])
    })

    test('pruning keeps the newest entries', async (t) => {
      const store = await open(t)
      await store.hooks.replace([hook('a')])
      for (let i = 0; i < 6; i++) {
        await store.hooks.saveState('a', initialState(T0), [
          { firedMs: T0 + i, payload: { i }, actions: [] },
        ])
      }
      assert.equal(await store.hooks.pruneLog(4), 2)
      assert.deepEqual(
        (await store.hooks.log({ limit: 10, offset: 0 })).map(
          (e) => (e.payload as { i: number }).i,
        ),
        [5, 4, 3, 2],
      )
      assert.equal(await store.hooks.pruneLog(10), 0)
      assert.equal(await store.hooks.pruneLog(0), 4)
      assert.equal(await store.hooks.logCount(), 0)
    })

    test('do-not-disturb: the defaults until saved, then what was saved', async (t) => {
      const store = await open(t)
      assert.deepEqual(await store.hooks.dnd(), DEFAULT_DND)
      const config = {
        enabled: true,
        untilMs: T0,
        quietHours: [{ start: '22:00', end: '07:00', days: [1, 2, 3] }],
      }
      await store.hooks.saveDnd(config)
      assert.deepEqual(await store.hooks.dnd(), config)
      await store.hooks.saveDnd(DEFAULT_DND)
      assert.deepEqual(await store.hooks.dnd(), DEFAULT_DND)
    })
  })
}
