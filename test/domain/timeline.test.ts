import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  type ActivityEvent,
  type AfkPeriod,
  afkEffectiveEnd,
  eventId,
} from '../../src/domain/events.ts'
import { DEFAULT_SOURCE_PRIORITY } from '../../src/domain/settings.ts'
import { activeTimeline, sourcePriorityOf, totalSeconds } from '../../src/domain/timeline.ts'

const DAY = '2025-09-11'
const at = (hhmm: string) => Date.parse(`${DAY}T${hhmm}:00Z`)
const priority = sourcePriorityOf(DEFAULT_SOURCE_PRIORITY)
const WHOLE_DAY = { startMs: at('00:00'), endMs: Date.parse('2025-09-12T00:00:00Z') }

/** An event from `from` to `to` (HH:MM on one day, UTC), by a source. */
function ev(
  source: string,
  from: string,
  to: string,
  app = source,
  device = 'laptop',
): ActivityEvent {
  const base = {
    device,
    startMs: at(from),
    endMs: at(to),
    durationSec: null,
    category: 'Coding',
    app,
    entity: 'x',
    entityType: null,
    project: 'p',
    projectPath: null,
    branch: null,
    language: null,
    source,
  }
  return { id: eventId(device, base), ...base }
}

/** The timeline as `HH:MM-HH:MM app` strings, easy to compare with a drawing. */
function timeline(events: ActivityEvent[], afk: AfkPeriod[] | null = [], range = WHOLE_DAY) {
  return activeTimeline(
    events,
    afk === null
      ? null
      : afk.map((p) => ({ device: p.device, startMs: p.startMs, endMs: afkEffectiveEnd(p) })),
    range,
    (e) => priority(e.source),
  )
}

function drawn(events: ActivityEvent[], afk: AfkPeriod[] = [], range = WHOLE_DAY): string[] {
  const segments = timeline(events, afk, range)
  const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16)
  return segments.map((s) => `${hhmm(s.startMs)}-${hhmm(s.endMs)} ${s.event.app}`)
}

describe('overlapping sources: the higher priority owns each instant', () => {
  test('editor over browser over window watcher', () => {
    //   09:00      09:30      10:00      10:30      11:00
    //   vscode        [====================]
    //   browser             [==========================]
    //   desktop  [=====================================]
    //   owner    [ desk][        vscode     ][ browser ]
    const events = [
      ev('skopio-desktop', '09:00', '11:00'),
      ev('daybook-browser', '09:30', '11:00'),
      ev('skopio-vscode', '09:15', '10:30'),
    ]
    assert.deepEqual(drawn(events), [
      '09:00-09:15 skopio-desktop',
      '09:15-10:30 skopio-vscode',
      '10:30-11:00 daybook-browser',
    ])
  })

  test('equal priority: the one that started later wins', () => {
    //   zed      [==========]          09:00-10:00
    //   vscode        [==========]     09:30-10:30
    //   owner    [zed][  vscode  ]
    assert.deepEqual(
      drawn([ev('skopio-zed', '09:00', '10:00'), ev('skopio-vscode', '09:30', '10:30')]),
      ['09:00-09:30 skopio-zed', '09:30-10:30 skopio-vscode'],
    )
  })

  test('a contained lower-priority event gets nothing; the outer one resumes after a higher one', () => {
    //   desktop  [==============]   09:00-10:00
    //   vscode       [====]         09:20-09:40
    //   owner    [d ][ v  ][ d  ]
    assert.deepEqual(
      drawn([ev('skopio-desktop', '09:00', '10:00'), ev('skopio-vscode', '09:20', '09:40')]),
      ['09:00-09:20 skopio-desktop', '09:20-09:40 skopio-vscode', '09:40-10:00 skopio-desktop'],
    )
    assert.deepEqual(
      drawn([ev('skopio-vscode', '09:00', '10:00'), ev('skopio-desktop', '09:20', '09:40')]),
      ['09:00-10:00 skopio-vscode'],
    )
  })

  test('unknown sources rank with "*" (browser level): above the window watcher, below editors', () => {
    assert.deepEqual(
      drawn([ev('skopio-desktop', '09:00', '10:00'), ev('my-script', '09:30', '10:00')]),
      ['09:00-09:30 skopio-desktop', '09:30-10:00 my-script'],
    )
  })

  test('overlaps are never counted twice', () => {
    const events = [ev('a', '09:00', '10:00'), ev('b', '09:00', '10:00'), ev('c', '09:30', '10:30')]
    assert.equal(totalSeconds(timeline(events)), 90 * 60)
  })
})

describe('AFK', () => {
  const afk = (
    from: string,
    to: string | null,
    device = 'laptop',
    inferred: string | null = null,
  ): AfkPeriod => ({
    id: from,
    device,
    startMs: at(from),
    endMs: to === null ? null : at(to),
    inferredEndMs: inferred === null ? null : at(inferred),
    durationSec: null,
    source: 'daybook-afk',
  })

  test('inside an event: the event is split around it', () => {
    //   vscode  [==================]  09:00-10:00
    //   AFK           [====]          09:20-09:35
    //   active  [ v  ]      [  v   ]
    assert.deepEqual(drawn([ev('skopio-vscode', '09:00', '10:00')], [afk('09:20', '09:35')]), [
      '09:00-09:20 skopio-vscode',
      '09:35-10:00 skopio-vscode',
    ])
  })

  test('across events and gaps', () => {
    //   events  [==a==]   [==b==]       09:00-09:30, 09:45-10:15
    //   AFK          [=========]        09:15-10:00
    //   active  [a ]           [b]
    assert.deepEqual(
      drawn(
        [ev('skopio-vscode', '09:00', '09:30', 'a'), ev('skopio-vscode', '09:45', '10:15', 'b')],
        [afk('09:15', '10:00')],
      ),
      ['09:00-09:15 a', '10:00-10:15 b'],
    )
  })

  test('an open period lasts until its inferred end, else for good', () => {
    assert.deepEqual(drawn([ev('skopio-vscode', '11:00', '13:00')], [afk('12:00', null)]), [
      '11:00-12:00 skopio-vscode',
    ])
    // Presence was seen at 12:40 (input, an editor): the period is taken to end there.
    assert.deepEqual(
      drawn([ev('skopio-vscode', '11:00', '13:00')], [afk('12:00', null, 'laptop', '12:40')]),
      ['11:00-12:00 skopio-vscode', '12:40-13:00 skopio-vscode'],
    )
  })

  test('includeAfk counts AFK time as active', () => {
    const segments = timeline([ev('skopio-vscode', '09:00', '10:00')], null)
    assert.equal(totalSeconds(segments), 3600)
  })

  test("one device's AFK does not take the time another device is active", () => {
    //   laptop window  [==========================]  09:00-11:00
    //   desk editor             [=========]          09:30-10:30
    //   laptop AFK         [===================]     09:15-10:45
    //   active         [ L ]    [  desk   ]   [L]
    assert.deepEqual(
      drawn(
        [
          ev('skopio-desktop', '09:00', '11:00', 'laptop-window'),
          ev('skopio-vscode', '09:30', '10:30', 'desk-editor', 'desk'),
        ],
        [afk('09:15', '10:45')],
      ),
      ['09:00-09:15 laptop-window', '09:30-10:30 desk-editor', '10:45-11:00 laptop-window'],
    )
  })
})

describe('filters select from the finished timeline', () => {
  test('time an editor won from a window event is not the window app’s time', () => {
    //   desktop (iTerm2)  [==========]  09:00-10:00
    //   vscode (Code)          [=====]  09:30-10:00
    const events = [
      ev('skopio-desktop', '09:00', '10:00', 'iTerm2'),
      ev('skopio-vscode', '09:30', '10:00', 'Code'),
    ]
    const total = (apps: string[]) =>
      totalSeconds(timeline(events).filter((s) => apps.includes(s.event.app)))
    assert.equal(total(['iTerm2']), 30 * 60)
    assert.equal(total(['Code']), 30 * 60)
    assert.equal(total(['iTerm2', 'Code']), 60 * 60)
  })
})

test('the range clips events: only the part inside counts', () => {
  const range = { startMs: at('09:30'), endMs: at('10:10') }
  assert.deepEqual(
    drawn(
      [ev('skopio-vscode', '09:00', '10:00'), ev('skopio-vscode', '10:05', '11:00', 'late')],
      [],
      range,
    ),
    ['09:30-10:00 skopio-vscode', '10:05-10:10 late'],
  )
})

test('milliseconds round to whole seconds, so sums are exact integers', () => {
  const e = ev('skopio-vscode', '09:00', '09:00')
  const fractional = { ...e, startMs: at('09:00') + 400, endMs: at('09:00') + 2_600 }
  assert.equal(totalSeconds(timeline([fractional])), 3)
})
