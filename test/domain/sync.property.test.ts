/**
 * `applyRemote`, the rule every daemon applies to another daemon's changes: whatever order a set
 * of changes arrives in, and however often each arrives, every daemon ends with the same rows.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { afkId, eventId, frameId } from '../../src/domain/events.ts'
import { framePath } from '../../src/domain/screenshots.ts'
import {
  type SyncChange,
  type SyncDevice,
  type SyncEvent,
  applyAll,
  applyRemote,
  checkSyncChange,
  formatPairingCode,
  nextHlc,
  observeHlc,
  parsePairingCode,
  rowKey,
} from '../../src/domain/sync.ts'

const DEVICES = ['0199881f-4613-7ac3-a5bb-2cd7ff27ff01', '0199881f-4613-7ac3-a5bb-2cd7ff27ff02']
const T0 = Date.parse('2025-09-11T09:00:00Z')
const MIN = 60_000

const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null })
const version = fc.integer({ min: 0, max: 6 })

/** An event's identity: a few per kind of source, so changes collide on rows. */
const eventBase = fc
  .record({
    device: fc.constantFrom(...DEVICES),
    start: fc.integer({ min: 0, max: 2 }),
    derived: fc.boolean(),
  })
  .map(({ device, start, derived }) => {
    const e = {
      device,
      startMs: T0 + start * MIN,
      category: 'Coding',
      app: 'Code',
      entity: 'main.rs',
      project: 'daybook',
      branch: null,
      language: null,
      source: derived ? 'wakatime-vscode' : 'daybook-editor',
    }
    return { ...e, id: eventId(device, e) }
  })

const eventChange: fc.Arbitrary<SyncChange> = fc
  .record({
    base: eventBase,
    del: fc.boolean(),
    end: fc.integer({ min: 0, max: 4 }),
    duration: nullable(fc.integer({ min: 0, max: 2 })),
    entityType: nullable(fc.constantFrom('File', 'Url')),
    version: nullable(version),
    withDevice: fc.boolean(),
  })
  .map(({ base, del, end, duration, entityType, version: v, withDevice }): SyncChange => {
    if (del) {
      return {
        kind: 'event',
        op: 'delete',
        id: base.id,
        device: withDevice ? base.device : null,
        startMs: withDevice ? base.startMs : null,
        version: v,
      }
    }
    return {
      kind: 'event',
      op: 'upsert',
      ...base,
      endMs: base.startMs + end * MIN,
      durationSec: duration,
      entityType,
      projectPath: null,
      version: base.source.startsWith('wakatime-') ? v : null,
    } satisfies SyncEvent
  })

const afkChange: fc.Arbitrary<SyncChange> = fc
  .record({
    device: fc.constantFrom(...DEVICES),
    start: fc.integer({ min: 0, max: 1 }),
    del: fc.boolean(),
    end: nullable(fc.integer({ min: 0, max: 3 })),
    inferred: nullable(fc.integer({ min: 0, max: 3 })),
    duration: nullable(fc.integer({ min: 0, max: 2 })),
  })
  .map(({ device, start, del, end, inferred, duration }): SyncChange => {
    const startMs = T0 + start * MIN
    const id = afkId(device, startMs)
    if (del) return { kind: 'afk', op: 'delete', id, device, startMs, version: null }
    return {
      kind: 'afk',
      op: 'upsert',
      id,
      device,
      startMs,
      endMs: end === null ? null : startMs + end * MIN,
      inferredEndMs: end === null && inferred !== null ? startMs + inferred * MIN : null,
      durationSec: duration,
    }
  })

const inputChange: fc.Arbitrary<SyncChange> = fc
  .record({
    device: fc.constantFrom(...DEVICES),
    bucket: fc.integer({ min: 0, max: 1 }),
    counts: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 6, maxLength: 6 }),
  })
  .map(({ device, bucket, counts }): SyncChange => {
    const [lc, rc, mc, kp, mm, scroll] = counts as [number, number, number, number, number, number]
    return {
      kind: 'input',
      op: 'upsert',
      device,
      bucketMs: T0 + bucket * 300_000,
      source: 'daybook-input',
      lc,
      rc,
      mc,
      kp,
      mm,
      scroll,
    }
  })

const LABELS = ['0199881f-4613-7ac3-a5bb-2cd7ff27ff11', '0199881f-4613-7ac3-a5bb-2cd7ff27ff12']
const labelChange: fc.Arbitrary<SyncChange> = fc
  .record({
    id: fc.constantFrom(...LABELS),
    del: fc.boolean(),
    text: fc.constantFrom('a', 'b'),
    version,
  })
  .map(({ id, del, text, version: v }): SyncChange =>
    del
      ? { kind: 'label', op: 'delete', id, device: null, startMs: null, version: v }
      : {
          kind: 'label',
          op: 'upsert',
          id,
          text,
          context: null,
          startMs: T0,
          endMs: T0 + MIN,
          createdMs: T0,
          updatedMs: T0 + v,
          version: v,
        },
  )

const settingChange: fc.Arbitrary<SyncChange> = fc
  .record({
    key: fc.constantFrom('timezone', 'startOfDay'),
    value: fc.constantFrom('x', 'y'),
    version,
  })
  .map(({ key, value, version: v }) => ({ kind: 'setting', op: 'upsert', key, value, version: v }))

const deviceChange: fc.Arbitrary<SyncChange> = fc
  .record({ id: fc.constantFrom(...DEVICES), name: fc.constantFrom('laptop', 'desk'), version })
  .map(({ id, name, version: v }) => ({ kind: 'device', op: 'upsert', id, name, version: v }))

/** A screenshot's index row, or its tombstone (a purge, a retention prune). */
const screenshotChange: fc.Arbitrary<SyncChange> = fc
  .record({
    device: fc.constantFrom(...DEVICES),
    at: fc.integer({ min: 0, max: 1 }),
    del: fc.boolean(),
    text: nullable(fc.constantFrom('quarterly report', 'chart')),
    version: nullable(version),
    withDevice: fc.boolean(),
  })
  .map(({ device, at, del, text, version: v, withDevice }): SyncChange => {
    const atMs = T0 + at * MIN
    const { filename } = framePath(atMs, 'laptop')
    const id = frameId(device, filename)
    if (del) {
      return {
        kind: 'screenshot',
        op: 'delete',
        id,
        device: withDevice ? device : null,
        startMs: withDevice ? atMs : null,
        version: v,
      }
    }
    return {
      kind: 'screenshot',
      op: 'upsert',
      id,
      device,
      filename,
      atMs,
      app: 'Firefox',
      title: 'Report',
      url: null,
      bytes: 1000,
      width: 800,
      height: 600,
      hash: '00ff00ff00ff00ff',
      text,
      ocrMs: text === null ? null : 900,
    }
  })

const anyChange = fc.oneof(
  eventChange,
  afkChange,
  inputChange,
  labelChange,
  settingChange,
  deviceChange,
  screenshotChange,
)

/** The same changes delivered twice more, in another order, some of them again. */
const deliveries = fc.array(anyChange, { minLength: 1, maxLength: 40 }).chain((changes) =>
  fc.tuple(
    fc.constant(changes),
    fc.shuffledSubarray(changes, { minLength: changes.length, maxLength: changes.length }),
    fc.array(fc.nat({ max: changes.length - 1 }), { maxLength: 20 }).chain((again) =>
      fc.shuffledSubarray([...changes, ...again.map((i) => changes[i] as SyncChange)], {
        minLength: changes.length + again.length,
        maxLength: changes.length + again.length,
      }),
    ),
  ),
)

function rows(map: Map<string, SyncChange>): [string, SyncChange][] {
  return [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

test('any interleaving and duplication of the same changes leaves the same rows', () => {
  fc.assert(
    fc.property(deliveries, ([inOrder, shuffled, duplicated]) => {
      const a = rows(applyAll(new Map(), inOrder))
      assert.deepEqual(rows(applyAll(new Map(), shuffled)), a)
      assert.deepEqual(rows(applyAll(new Map(), duplicated)), a)
      // Applying everything again changes nothing (a re-sent change is a no-op).
      const again = applyAll(new Map(a), inOrder)
      assert.deepEqual(rows(again), a)
    }),
    { numRuns: 2_000 },
  )
})

test('two tombstones of one row, one without a version and one at 0: the same one kept in either order', () => {
  // Found by the property above (1 run in about 8,000): no version and version 0 ranked level,
  // so whichever tombstone came first stayed.
  const id = eventId(DEVICES[0] as string, {
    startMs: T0,
    category: 'Coding',
    app: 'Code',
    entity: 'main.rs',
    project: 'daybook',
    branch: null,
    language: null,
    source: 'daybook-editor',
  })
  const tombstone = (v: number | null): SyncChange => ({
    kind: 'event',
    op: 'delete',
    id,
    device: null,
    startMs: null,
    version: v,
  })
  const one = rows(applyAll(new Map(), [tombstone(0), tombstone(null)]))
  const other = rows(applyAll(new Map(), [tombstone(null), tombstone(0)]))
  assert.deepEqual(one, other)
  assert.equal((one[0]?.[1] as { version: number | null }).version, 0)
})

test('a change applied to the row it made is a no-op', () => {
  fc.assert(
    fc.property(anyChange, (c) => {
      assert.equal(applyRemote(c, c), undefined)
    }),
  )
})

test('ends only grow, a deletion wins over an older upsert, a derived event follows its versions', () => {
  const base = {
    device: DEVICES[0] as string,
    startMs: T0,
    category: 'Coding',
    app: 'Code',
    entity: 'e',
    entityType: null,
    project: 'p',
    projectPath: null,
    branch: null,
    language: null,
    durationSec: null,
  }
  const upsert = (source: string, endMs: number, v: number | null): SyncEvent => ({
    kind: 'event',
    op: 'upsert',
    ...base,
    source,
    id: eventId(base.device, { ...base, source }),
    endMs,
    version: v,
  })
  const e10 = upsert('daybook-editor', T0 + 10 * MIN, null)
  const e5 = upsert('daybook-editor', T0 + 5 * MIN, null)
  assert.equal(applyRemote(e10, e5), undefined)
  assert.deepEqual(applyRemote(e5, e10), e10)
  const gone = {
    kind: 'event',
    op: 'delete',
    id: e10.id,
    device: null,
    startMs: null,
    version: 1,
  } as const
  assert.deepEqual(applyRemote(e10, gone), gone)
  assert.equal(applyRemote(gone, upsert('daybook-editor', T0 + 20 * MIN, null)), undefined)

  // Derived: a re-derivation may end an event earlier, or bring a deleted one back.
  const d1 = upsert('wakatime-vscode', T0 + 10 * MIN, 1)
  const d2 = upsert('wakatime-vscode', T0 + 4 * MIN, 2)
  assert.deepEqual(applyRemote(d1, d2), d2)
  assert.equal(applyRemote(d2, d1), undefined)
  const removed = { ...gone, id: d1.id, version: 3 }
  assert.deepEqual(applyRemote(d2, removed), removed)
  const back = upsert('wakatime-vscode', T0 + 6 * MIN, 4)
  assert.deepEqual(applyRemote(removed, back), back)
})

test('settings: the later hybrid-clock version wins, whichever daemon made it', () => {
  const older = {
    kind: 'setting',
    op: 'upsert',
    key: 'timezone',
    value: 'Europe/Berlin',
    version: 10,
  } as const
  const newer = { ...older, value: 'Asia/Tokyo', version: 11 }
  assert.deepEqual(applyRemote(older, newer), newer)
  assert.equal(applyRemote(newer, older), undefined)
  // A clock that saw the newer one makes a later one, even when its wall clock is behind.
  const seen = observeHlc(0, newer.version)
  assert.ok(nextHlc(seen, 0) > newer.version)
  assert.ok(nextHlc(5, Date.now()) > 5)
})

test("device names: any order and duplication of one device's renames keeps the latest version, then the greater name (as JSON text)", () => {
  // Denser than the mixed property above: many renames of the same two devices, versions tied often.
  const rename = fc
    .record({
      id: fc.constantFrom(...DEVICES),
      name: fc.constantFrom('laptop', 'work laptop', 'desk', 'laptop (0199881f)'),
      version: fc.integer({ min: 0, max: 3 }),
    })
    .map(({ id, name, version: v }): SyncChange => ({
      kind: 'device',
      op: 'upsert',
      id,
      name,
      version: v,
    }))
  fc.assert(
    fc.property(
      fc.array(rename, { minLength: 1, maxLength: 12 }).chain((changes) =>
        fc.tuple(
          fc.constant(changes),
          fc.shuffledSubarray([...changes, ...changes], {
            minLength: changes.length * 2,
            maxLength: changes.length * 2,
          }),
        ),
      ),
      ([changes, redelivered]) => {
        const a = rows(applyAll(new Map(), changes))
        assert.deepEqual(rows(applyAll(new Map(), redelivered)), a)
        for (const [, row] of a) {
          const mine = changes.filter((c) => rowKey(c) === rowKey(row)) as SyncDevice[]
          // Names compare as JSON text (the order every daemon agrees on).
          const best = mine.reduce((x, y) =>
            y.version > x.version ||
            (y.version === x.version && JSON.stringify(y.name) > JSON.stringify(x.name))
              ? y
              : x,
          )
          assert.deepEqual(row, best)
        }
      },
    ),
    { numRuns: 2_000 },
  )
})

test("a device's rename made after it took the hub's pairing name wins, whichever clock runs ahead", () => {
  const id = DEVICES[0] as string
  const nowMs = Date.parse('2026-12-07T10:00:00Z')
  // The hub's clock a day ahead: it names the device as paired at that version.
  const paired: SyncDevice = {
    kind: 'device',
    op: 'upsert',
    id,
    name: 'laptop',
    version: nextHlc(0, nowMs + 86_400_000),
  }
  // The device takes the name as the hub's change (its clock observes the version), then renames.
  const clock = observeHlc(nextHlc(0, nowMs), paired.version)
  const renamed: SyncDevice = { ...paired, name: 'work laptop', version: nextHlc(clock, nowMs) }
  for (const order of [
    [paired, renamed],
    [renamed, paired],
    [renamed, paired, renamed, paired],
  ]) {
    assert.equal((applyAll(new Map(), order).get(`device/${id}`) as SyncDevice).name, 'work laptop')
  }
  // Renamed without having seen the pairing's version (the device's own clock only), the rename
  // would lose everywhere: why a device takes its pairing name as the hub's change.
  const unseen: SyncDevice = { ...renamed, version: nextHlc(nextHlc(0, nowMs), nowMs) }
  assert.equal(applyRemote(paired, unseen), undefined)
})

test('checks: content ids, times, counts, settings that sync', () => {
  const e = {
    kind: 'event',
    op: 'upsert',
    device: DEVICES[0] as string,
    startMs: T0,
    endMs: T0 + MIN,
    durationSec: null,
    category: 'c',
    app: 'a',
    entity: 'e',
    entityType: null,
    project: 'p',
    projectPath: null,
    branch: null,
    language: null,
    source: 's',
    version: null,
  } as const
  const good = { ...e, id: eventId(e.device, e) }
  checkSyncChange(good, 'x')
  assert.throws(
    () => checkSyncChange({ ...good, endMs: T0 + 2 * MIN, startMs: T0 + MIN }, 'changes/3'),
    {
      code: 'invalid_change',
      field: 'changes/3',
    },
  )
  assert.throws(() => checkSyncChange({ ...good, endMs: T0 - 1 }, 'x'), /ends before it starts/)
  assert.throws(
    () =>
      checkSyncChange(
        { kind: 'setting', op: 'upsert', key: 'inputRetentionDays', value: 1, version: 1 },
        'x',
      ),
    /not a setting that syncs/,
  )
  assert.throws(
    () =>
      checkSyncChange(
        {
          kind: 'input',
          op: 'upsert',
          device: DEVICES[0] as string,
          bucketMs: T0 + 1,
          source: 's',
          lc: 0,
          rc: 0,
          mc: 0,
          kp: 0,
          mm: 0,
          scroll: 0,
        },
        'x',
      ),
    /5-minute bucket/,
  )
})

test('screenshots: a deletion wins over the row, whichever arrives first; checks name the frame', () => {
  const atMs = T0 + 1234
  const { filename } = framePath(atMs, 'laptop')
  const device = DEVICES[0] as string
  const row = {
    kind: 'screenshot',
    op: 'upsert',
    id: frameId(device, filename),
    device,
    filename,
    atMs,
    app: 'Firefox',
    title: 'Report',
    url: 'https://example.com/',
    bytes: 1000,
    width: 800,
    height: 600,
    hash: '00ff00ff00ff00ff',
    text: 'quarterly report',
    ocrMs: 900,
  } as const
  checkSyncChange(row, 'x')
  const gone = {
    kind: 'screenshot',
    op: 'delete',
    id: row.id,
    device,
    startMs: atMs,
    version: 5,
  } as const
  assert.deepEqual(applyRemote(row, gone), gone)
  assert.equal(applyRemote(gone, row), undefined)
  assert.deepEqual(rows(applyAll(new Map(), [row, gone])), rows(applyAll(new Map(), [gone, row])))
  assert.throws(
    () => checkSyncChange({ ...row, id: frameId(DEVICES[1] as string, filename) }, 'changes/0'),
    { code: 'invalid_change', field: 'changes/0' },
  )
  assert.throws(() => checkSyncChange({ ...row, atMs: atMs + 60_000 }, 'x'), /taken at atMs/)
  assert.throws(() => checkSyncChange({ ...row, filename: '../x.webp' }, 'x'), /taken at atMs/)
  assert.throws(() => checkSyncChange({ ...row, bytes: -1 }, 'x'), /bytes is not a count/)
})

test('pairing codes: 80 bits in 16 characters, read back the way people type them', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 10, maxLength: 10 }), (bytes) => {
      const code = formatPairingCode(bytes)
      assert.match(code, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/)
      assert.equal(parsePairingCode(code), code)
      assert.equal(parsePairingCode(code.toLowerCase().replace(/-/g, ' ')), code)
    }),
  )
  assert.equal(parsePairingCode('O1IL-0000-0000-0000'), '0111-0000-0000-0000')
  assert.equal(parsePairingCode('ABCD-EFGH'), undefined)
  assert.equal(parsePairingCode('ABCD-EFGH-JKMN-PQRU'), undefined)
  assert.notEqual(
    rowKey({ kind: 'setting', op: 'upsert', key: 'a', value: 1, version: 1 }),
    'setting/b',
  )
})
