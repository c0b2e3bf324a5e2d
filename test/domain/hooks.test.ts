/**
 * Hooks' pure logic: each kind's condition read off a timeline (its crossings and progress),
 * edge triggering and the cooldown, do-not-disturb, rule checking, suggestions.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type ActivityEvent, type AfkPeriod, eventId } from '../../src/domain/events.ts'
import {
  type HookView,
  HOOK_LABEL_CONTEXT,
  evaluateCondition,
} from '../../src/domain/hooks/conditions.ts'
import { checkDnd, dndReason } from '../../src/domain/hooks/dnd.ts'
import { carryState, decide, initialState } from '../../src/domain/hooks/firing.ts'
import {
  type HookRule,
  type HookRuleInput,
  type When,
  checkRules,
} from '../../src/domain/hooks/rules.ts'
import {
  dayFigures,
  keywordsOf,
  suggestDistances,
  suggestKeywords,
} from '../../src/domain/hooks/suggest.ts'
import { eventMatcher } from '../../src/domain/hooks/match.ts'
import { hookPayload } from '../../src/domain/hooks/payload.ts'
import type { Label } from '../../src/domain/labels.ts'
import { DEFAULT_SETTINGS } from '../../src/domain/settings.ts'
import { eventTimeline } from '../../src/domain/timeline.ts'

const DAY = '2025-09-11'
const at = (hhmm: string) => Date.parse(`${DAY}T${hhmm}Z`)
const MIN = 60_000

/** An event from `from` to `to` (HH:MM or HH:MM:SS on one day, UTC). */
export function ev(from: string, to: string, o: Partial<ActivityEvent> = {}): ActivityEvent {
  const base = {
    device: 'laptop',
    startMs: at(from.length === 5 ? `${from}:00` : from),
    endMs: at(to.length === 5 ? `${to}:00` : to),
    durationSec: null,
    category: 'Coding',
    app: 'Code',
    entity: 'main.rs',
    entityType: 'File',
    project: 'daybook',
    projectPath: null,
    branch: null,
    language: 'Rust',
    source: 'daybook-window',
    ...o,
  }
  return { id: eventId(base.device, base), ...base }
}

function afk(from: string, to: string | null): AfkPeriod {
  return {
    id: from,
    device: 'laptop',
    startMs: at(`${from}:00`),
    endMs: to === null ? null : at(`${to}:00`),
    inferredEndMs: null,
    durationSec: null,
  }
}

/** The view at `now` of a day's events (the window from `from`, default midnight). */
function view(
  events: ActivityEvent[],
  now: string,
  o: {
    afk?: AfkPeriod[]
    from?: string
    labels?: Label[]
    collectors?: HookView['collectors']
  } = {},
): HookView {
  const nowMs = at(`${now}:00`)
  const windowStartMs = at(`${o.from ?? '00:00'}:00`)
  const clipped = events
    .filter((e) => e.startMs < nowMs)
    .map((e) => ({ ...e, endMs: Math.min(e.endMs, nowMs) }))
  return {
    nowMs,
    windowStartMs,
    segments: eventTimeline(
      clipped,
      o.afk ?? [],
      { startMs: windowStartMs, endMs: nowMs },
      DEFAULT_SETTINGS,
    ),
    days: [{ label: DAY, startMs: at('00:00:00'), endMs: at('00:00:00') + 24 * 60 * MIN }],
    collectors: o.collectors ?? [],
    labels: o.labels ?? [],
  }
}

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 19)

function crossings(when: When, v: HookView): string[] {
  return evaluateCondition(when, v).crossings.map((c) => `${hhmm(c.at)} ${c.key.split(':')[0]}`)
}

const CODE = { app: ['code'] }

describe('conditions', () => {
  test('activity: a stretch of matching activity crosses when its active time reaches N', () => {
    const when: When = { kind: 'activity', match: CODE, minutes: 50 }
    const events = [ev('09:00', '10:00')]
    assert.deepEqual(crossings(when, view(events, '10:00')), ['09:50:00 activity'])
    // Before it crosses: progress, and nothing to fire.
    const early = evaluateCondition(when, view(events, '09:38'))
    assert.deepEqual(early.crossings, [])
    assert.deepEqual(early.progress, {
      value: 38,
      threshold: 50,
      met: false,
      text: '38 of 50 minutes without interruption',
    })
    assert.equal(evaluateCondition(when, view(events, '09:55')).progress?.met, true)
  })

  test('activity: other activity interrupts; a gap under a minute joins, uncounted; a longer one ends it', () => {
    const when: When = { kind: 'activity', match: CODE, minutes: 50 }
    const interrupted = [
      ev('09:00', '09:30'),
      ev('09:30', '09:31', { app: 'Firefox', source: 'daybook-browser' }),
      ev('09:31', '10:15'),
    ]
    assert.deepEqual(crossings(when, view(interrupted, '10:30')), [])
    const shortGap = [ev('09:00', '09:30'), ev('09:30:30', '10:15')]
    assert.deepEqual(crossings(when, view(shortGap, '10:30')), ['09:50:30 activity'])
    const longGap = [ev('09:00', '09:30'), ev('09:32', '10:15')]
    assert.deepEqual(crossings(when, view(longGap, '10:30')), [])
    // Time away (AFK) cuts the stretch like any gap: it starts again after.
    const away = [ev('09:00', '10:30')]
    assert.deepEqual(crossings(when, view(away, '10:30', { afk: [afk('09:30', '09:35')] })), [
      '10:25:00 activity',
    ])
  })

  test('activity: a stretch that begins at the window start has no known crossing', () => {
    const when: When = { kind: 'activity', match: CODE, minutes: 50 }
    const events = [ev('08:00', '10:00')]
    assert.deepEqual(crossings(when, view(events, '10:00', { from: '09:00' })), [])
    assert.deepEqual(crossings(when, view(events, '10:00', { from: '07:00' })), [
      '08:50:00 activity',
    ])
  })

  test('activity: matches the timeline’s winner, by title, URL, category and keyword lists', () => {
    const browser = ev('09:00', '10:00', {
      app: 'Firefox',
      entity: 'https://www.reddit.com/r/all',
      entityType: 'Url',
      source: 'daybook-browser',
      category: 'Browsing',
    })
    const window = ev('08:00', '11:00', { app: 'Firefox', entity: 'Firefox', entityType: 'App' })
    const v = view([browser, window], '11:00', { from: '07:00' })
    for (const match of [
      { url: '^www\\.reddit\\.com/' },
      { url: ['REDDIT'] },
      { category: 'browsing' },
    ]) {
      assert.deepEqual(
        crossings({ kind: 'activity', match, minutes: 30 }, v),
        ['09:30:00 activity'],
        JSON.stringify(match),
      )
    }
    // The window watcher's event owns the time around the browser's, by its title.
    assert.deepEqual(
      crossings({ kind: 'activity', match: { title: '^firefox$' }, minutes: 30 }, v),
      ['08:30:00 activity', '10:30:00 activity'],
    )
  })

  test('budget: matching time of the day crosses once, at the instant it reaches N', () => {
    const when: When = { kind: 'budget', match: { project: 'social' }, minutes: 45 }
    const social = (from: string, to: string) => ev(from, to, { project: 'social', app: 'Firefox' })
    const events = [
      social('09:00', '09:20'),
      ev('09:20', '12:00'),
      social('12:00', '12:20'),
      social('15:00', '15:30'),
    ]
    const v = view(events, '16:00')
    assert.deepEqual(crossings(when, v), ['15:05:00 budget'])
    assert.equal(evaluateCondition(when, v).crossings[0]?.key, `budget:${DAY}`)
    assert.deepEqual(evaluateCondition(when, view(events, '13:00')).progress, {
      value: 40,
      threshold: 45,
      met: false,
      text: '40 of 45 minutes today',
    })
  })

  test('no_break: activity joined across gaps shorter than the break; a longer gap ends it', () => {
    const when: When = { kind: 'no_break', match: {}, minutes: 50, breakMinutes: 5 }
    const pauses = [
      ev('09:00', '09:30'),
      ev('09:33', '10:30', { app: 'Firefox', source: 'daybook-browser' }),
    ]
    assert.deepEqual(crossings(when, view(pauses, '10:30')), ['09:53:00 no_break'])
    const rested = [ev('09:00', '09:30'), ev('09:36', '10:15')]
    assert.deepEqual(crossings(when, view(rested, '10:15')), [])
    assert.equal(evaluateCondition(when, view(rested, '10:15')).progress?.value, 39)
    assert.deepEqual(evaluateCondition(when, view(rested, '10:25')).progress, {
      value: 0,
      threshold: 50,
      met: false,
      text: 'on a break',
    })
  })

  test('back_from_afk: a gap of at least N ended by (matching) activity', () => {
    const when: When = { kind: 'back_from_afk', match: {}, minutes: 15 }
    const events = [ev('09:00', '11:00')]
    const v = view(events, '11:00', {
      afk: [afk('10:00', '10:20'), afk('10:40', '10:50')],
      from: '08:00',
    })
    const found = evaluateCondition(when, v).crossings
    assert.deepEqual(
      found.map((c) => [hhmm(c.at), c.minutes]),
      [
        ['09:00:00', 60],
        ['10:20:00', 20],
      ],
    )
    // While away: how long so far.
    const away = evaluateCondition(
      when,
      view(events, '11:00', { afk: [afk('10:48', null)], from: '08:00' }),
    )
    assert.deepEqual(away.progress, {
      value: 12,
      threshold: 15,
      met: false,
      text: 'away 12 of 15 minutes',
    })
    // Coming back to something else than the match does not count.
    assert.deepEqual(crossings({ ...when, match: { app: 'firefox' } }, v), [])
  })

  test('project_switch: a project starts with its first segment and stops N minutes after its last', () => {
    const when: When = { kind: 'project_switch', match: { category: 'Coding' }, minutes: 15 }
    const events = [
      ev('09:00', '10:00', { project: 'alpha' }),
      ev('10:00', '10:05', { project: 'beta' }),
      ev('10:05', '10:30', { project: 'alpha' }),
      ev('10:30', '11:00', { project: 'beta' }),
      ev('10:00', '12:00', { project: 'Firefox', category: 'Browsing', app: 'Firefox' }),
    ]
    const found = evaluateCondition(when, view(events, '11:30', { from: '08:00' })).crossings
    assert.deepEqual(
      found.map((c) => `${hhmm(c.at)} ${c.project?.transition} ${c.project?.name}`),
      [
        '09:00:00 started alpha',
        '10:00:00 started beta',
        '10:20:00 stopped beta',
        '10:30:00 started beta',
        '10:45:00 stopped alpha',
        '11:15:00 stopped beta',
      ],
    )
  })

  test('silent_collector: a matching collector whose last batch is N minutes old', () => {
    const when: When = { kind: 'silent_collector', match: { source: '^daybook-' }, minutes: 30 }
    const collectors = [
      { source: 'daybook-window', device: 'laptop', lastSeenMs: at('09:00:00') },
      { source: 'daybook-window', device: 'laptop', lastSeenMs: at('09:50:00') },
      { source: 'daybook-input', device: 'laptop', lastSeenMs: at('09:10:00') },
      { source: 'aw-watcher-afk', device: 'laptop', lastSeenMs: at('08:00:00') },
    ]
    const result = evaluateCondition(when, view([], '10:00', { collectors }))
    assert.deepEqual(
      result.crossings.map((c) => [hhmm(c.at), c.collector?.source, c.minutes]),
      [['09:40:00', 'daybook-input', 50]],
    )
    assert.deepEqual(result.progress?.text, 'daybook-input on laptop silent 50 of 30 minutes')
  })

  test('label: labels created with matching text, but not those a hook made', () => {
    const label = (id: string, text: string, context: string | null = null): Label => ({
      id,
      text,
      context,
      startMs: at('09:00:00'),
      endMs: at('10:00:00'),
      createdMs: at('10:00:00') + Number(id),
      updatedMs: at('10:00:00'),
    })
    const labels = [
      label('1', 'Deep work'),
      label('2', 'lunch'),
      label('3', 'deep work again', `${HOOK_LABEL_CONTEXT}focus`),
    ]
    const when: When = { kind: 'label', match: { text: ['deep'] } }
    assert.deepEqual(
      evaluateCondition(when, view([], '11:00', { labels })).crossings.map((c) => c.label?.id),
      ['1'],
    )
  })
})

describe('firing', () => {
  const crossing = (at: number, key: string) => ({
    at,
    key,
    range: { startMs: at, endMs: at },
    event: null,
    minutes: null,
  })
  const T = at('12:00:00')

  test('once per crossing: the same key never fires again; a later crossing does', () => {
    let state = initialState(T - 60 * MIN)
    const first = decide(state, [crossing(T - MIN, 'a')], {
      nowMs: T,
      cooldownMs: 0,
      occurrences: false,
    })
    assert.deepEqual(
      first.fire.map((c) => c.key),
      ['a'],
    )
    state = first.state
    assert.deepEqual(
      decide(state, [crossing(T - MIN, 'a')], { nowMs: T + MIN, cooldownMs: 0, occurrences: false })
        .fire,
      [],
    )
    // Moved earlier by late data (a new key, an earlier instant): handled already.
    assert.deepEqual(
      decide(state, [crossing(T - 2 * MIN, 'b')], {
        nowMs: T + MIN,
        cooldownMs: 0,
        occurrences: false,
      }).fire,
      [],
    )
    // Moved later (the same key): handled already.
    assert.deepEqual(
      decide(state, [crossing(T, 'a')], { nowMs: T + MIN, cooldownMs: 0, occurrences: false }).fire,
      [],
    )
    assert.deepEqual(
      decide(state, [crossing(T - MIN, 'a'), crossing(T + MIN, 'c')], {
        nowMs: T + MIN,
        cooldownMs: 0,
        occurrences: false,
      }).fire.map((c) => c.key),
      ['c'],
    )
  })

  test('crossings before the rule began watching never fire', () => {
    const state = initialState(T)
    assert.deepEqual(
      decide(state, [crossing(T - MIN, 'a')], { nowMs: T + MIN, cooldownMs: 0, occurrences: true })
        .fire,
      [],
    )
  })

  test('the cooldown lets a crossing pass, and it does not fire later', () => {
    const fired = decide(initialState(T - 60 * MIN), [crossing(T, 'a')], {
      nowMs: T,
      cooldownMs: 30 * MIN,
      occurrences: false,
    })
    const within = decide(fired.state, [crossing(T + 10 * MIN, 'b')], {
      nowMs: T + 10 * MIN,
      cooldownMs: 30 * MIN,
      occurrences: false,
    })
    assert.deepEqual([within.fire, within.suppressed.map((c) => c.key)], [[], ['b']])
    const after = decide(within.state, [crossing(T + 10 * MIN, 'b')], {
      nowMs: T + 40 * MIN,
      cooldownMs: 30 * MIN,
      occurrences: false,
    })
    assert.deepEqual(after.fire, [])
    const next = decide(within.state, [crossing(T + 35 * MIN, 'c')], {
      nowMs: T + 40 * MIN,
      cooldownMs: 30 * MIN,
      occurrences: false,
    })
    assert.deepEqual(
      next.fire.map((c) => c.key),
      ['c'],
    )
  })

  test('after an outage: one firing for a condition, each occurrence for occurrence kinds', () => {
    const missed = [crossing(T + MIN, 'a'), crossing(T + 2 * MIN, 'b')]
    const state = initialState(T)
    assert.deepEqual(
      decide(state, missed, { nowMs: T + 60 * MIN, cooldownMs: 0, occurrences: false }).fire.map(
        (c) => c.key,
      ),
      ['b'],
    )
    assert.deepEqual(
      decide(state, missed, { nowMs: T + 60 * MIN, cooldownMs: 0, occurrences: true }).fire.map(
        (c) => c.key,
      ),
      ['a', 'b'],
    )
  })

  test('occurrences: one whose data came late fires even after a later one did, each once', () => {
    const options = { nowMs: T + 10 * MIN, cooldownMs: 0, occurrences: true }
    const first = decide(initialState(T), [crossing(T + 5 * MIN, 'stop:beta')], options)
    const late = decide(
      first.state,
      [crossing(T + 4 * MIN, 'start:alpha'), crossing(T + 5 * MIN, 'stop:beta')],
      options,
    )
    assert.deepEqual(
      late.fire.map((c) => c.key),
      ['start:alpha'],
    )
    assert.deepEqual(decide(late.state, [crossing(T + 4 * MIN, 'start:alpha')], options).fire, [])
    // Remembered for three days; older occurrences never fire.
    const later = { ...options, nowMs: T + 4 * 24 * 60 * MIN }
    const aged = decide(late.state, [crossing(T + 4 * MIN, 'start:alpha')], later)
    assert.deepEqual([aged.fire, aged.state.handled], [[], []])
  })

  test('replacing rules keeps the state of an unchanged rule; a changed or re-enabled one starts now', () => {
    const rule: HookRule = {
      id: 'r',
      name: 'r',
      enabled: true,
      when: { kind: 'activity', match: {}, minutes: 50 },
      then: [{ kind: 'stream' }],
      cooldownMinutes: 0,
    }
    const state = { ...initialState(T), watermark: { at: T + MIN, key: 'k' }, lastFiredMs: T + MIN }
    assert.equal(
      carryState({ rule, state }, { ...rule, name: 'renamed', cooldownMinutes: 5 }, T + 2 * MIN),
      state,
    )
    const changed = carryState(
      { rule, state },
      { ...rule, when: { ...rule.when, minutes: 40 } },
      T + 2 * MIN,
    )
    assert.deepEqual([changed.sinceMs, changed.watermark], [T + 2 * MIN, null])
    assert.equal(changed.lastFiredMs, T + MIN)
    const off = { ...rule, enabled: false }
    const on = carryState({ rule: off, state }, rule, T + 3 * MIN)
    assert.deepEqual([on.sinceMs, on.watermark], [T + 3 * MIN, null])
    assert.deepEqual(carryState(undefined, rule, T + 3 * MIN), initialState(T + 3 * MIN))
  })
})

describe('rules', () => {
  const input = (o: Partial<HookRuleInput> = {}): HookRuleInput => ({
    id: 'break',
    when: { kind: 'no_break', minutes: 50, breakMinutes: 5 },
    then: [{ kind: 'notify' }],
    ...o,
  })

  test('defaults: the name is the id, enabled, no cooldown, an empty match', () => {
    assert.deepEqual(checkRules([input()]), [
      {
        id: 'break',
        name: 'break',
        enabled: true,
        when: { kind: 'no_break', match: {}, minutes: 50, breakMinutes: 5 },
        then: [{ kind: 'notify' }],
        cooldownMinutes: 0,
      },
    ])
  })

  const bad: [string, HookRuleInput[], string, RegExp][] = [
    ['a duplicate id', [input(), input()], 'body/1/id', /"break": id is used by an earlier rule/],
    [
      'no minutes',
      [input({ when: { kind: 'activity' } })],
      'body/0/when/minutes',
      /required for a activity rule/,
    ],
    [
      'minutes on a label rule',
      [input({ when: { kind: 'label', minutes: 3 } })],
      'body/0/when/minutes',
      /not used/,
    ],
    [
      'no breakMinutes',
      [input({ when: { kind: 'no_break', minutes: 5 } })],
      'body/0/when/breakMinutes',
      /required/,
    ],
    [
      'breakMinutes elsewhere',
      [input({ when: { kind: 'budget', minutes: 5, breakMinutes: 2 } })],
      'body/0/when/breakMinutes',
      /only by no_break/,
    ],
    [
      'a bad regex',
      [input({ when: { kind: 'budget', minutes: 5, match: { url: '(' } } })],
      'body/0/when/match/url',
      /not a valid regular expression/,
    ],
    [
      'an empty regex',
      [input({ when: { kind: 'budget', minutes: 5, match: { url: '' } } })],
      'body/0/when/match/url',
      /empty regular expression/,
    ],
    [
      'no keywords',
      [input({ when: { kind: 'budget', minutes: 5, match: { app: [] } } })],
      'body/0/when/match/app',
      /empty keyword list/,
    ],
    [
      'a blank keyword',
      [input({ when: { kind: 'budget', minutes: 5, match: { app: ['a', ' '] } } })],
      'body/0/when/match/app/1',
      /blank keyword/,
    ],
    [
      'text on an activity rule',
      [input({ when: { kind: 'activity', minutes: 5, match: { text: 'x' } } })],
      'body/0/when/match/text',
      /not matched by a activity rule/,
    ],
    [
      'app on a label rule',
      [input({ when: { kind: 'label', match: { app: 'x' } } })],
      'body/0/when/match/app',
      /takes text/,
    ],
    ['no actions', [input({ then: [] })], 'body/0/then', /at least one action/],
    [
      'a field of another kind',
      [input({ then: [{ kind: 'notify', url: 'http://x' }] })],
      'body/0/then/0/url',
      /not a field of a notify action/,
    ],
    [
      'a webhook without url',
      [input({ then: [{ kind: 'webhook' }] })],
      'body/0/then/0/url',
      /required/,
    ],
    [
      'a file: webhook',
      [input({ then: [{ kind: 'webhook', url: 'file:///etc/passwd' }] })],
      'body/0/then/0/url',
      /http or https URL, got file/,
    ],
    [
      'not a URL',
      [input({ then: [{ kind: 'webhook', url: 'localhost:80' }] })],
      'body/0/then/0/url',
      /must be an http or https URL|not a URL/,
    ],
    [
      'an empty argv',
      [input({ then: [{ kind: 'command', argv: [] }] })],
      'body/0/then/0/argv/0',
      /name the program/,
    ],
  ]
  for (const [what, rules, field, message] of bad) {
    test(`refused, naming the rule and the field: ${what}`, () => {
      assert.throws(
        () => checkRules(rules),
        (err: { code: string; field: string; message: string }) =>
          err.code === 'invalid_hook' && err.field === field && message.test(err.message),
      )
    })
  }

  test('at most 100 rules', () => {
    const many = Array.from({ length: 101 }, (_, i) => input({ id: `r${i}` }))
    assert.throws(() => checkRules(many), { code: 'too_many_hooks' })
  })
})

describe('do-not-disturb', () => {
  const config = {
    enabled: false,
    untilMs: null,
    quietHours: [{ start: '22:00', end: '07:00', days: [5] }],
  }
  test('quiet hours over midnight: the evening of a listed day and the morning after', () => {
    // 2025-09-12 is a Friday (ISO day 5).
    const berlin = (iso: string) => Date.parse(iso)
    assert.equal(dndReason(config, berlin('2025-09-12T21:30:00+02:00'), 'Europe/Berlin'), null)
    assert.equal(
      dndReason(config, berlin('2025-09-12T22:00:00+02:00'), 'Europe/Berlin'),
      'quiet_hours',
    )
    assert.equal(
      dndReason(config, berlin('2025-09-13T06:59:00+02:00'), 'Europe/Berlin'),
      'quiet_hours',
    )
    assert.equal(dndReason(config, berlin('2025-09-13T07:00:00+02:00'), 'Europe/Berlin'), null)
    assert.equal(dndReason(config, berlin('2025-09-13T22:30:00+02:00'), 'Europe/Berlin'), null)
    // The same instant elsewhere is another local time.
    assert.equal(dndReason(config, berlin('2025-09-12T22:30:00+02:00'), 'UTC'), null)
  })

  test('manual: on until turned off, or until a time', () => {
    const T = at('12:00:00')
    assert.equal(dndReason({ enabled: true, untilMs: null, quietHours: [] }, T, 'UTC'), 'manual')
    assert.equal(dndReason({ enabled: true, untilMs: T + 1, quietHours: [] }, T, 'UTC'), 'manual')
    assert.equal(dndReason({ enabled: true, untilMs: T, quietHours: [] }, T, 'UTC'), null)
  })

  test('a start equal to the end, or not HH:MM, is refused naming the field', () => {
    assert.throws(
      () => checkDnd({ ...config, quietHours: [{ start: '08:00', end: '08:00', days: [1] }] }),
      {
        field: 'body/quietHours/0/end',
      },
    )
    assert.throws(
      () => checkDnd({ ...config, quietHours: [{ start: '8:00', end: '09:00', days: [1] }] }),
      {
        field: 'body/quietHours/0/start',
      },
    )
  })
})

describe('payload and suggestions', () => {
  test('the payload names the rule and what matched, never the actions (a secret)', () => {
    const rule: HookRule = {
      id: 'b',
      name: 'Break',
      enabled: true,
      when: { kind: 'activity', match: CODE, minutes: 50 },
      then: [{ kind: 'webhook', url: 'http://127.0.0.1:1/', secret: 'top-secret' }],
      cooldownMinutes: 0,
    }
    const [c] = evaluateCondition(rule.when, view([ev('09:00', '10:00')], '10:00')).crossings
    assert.ok(c)
    const payload = hookPayload(rule, c, at('10:00:05'))
    assert.ok(!JSON.stringify(payload).includes('top-secret'))
    assert.deepEqual(
      {
        hook: payload.hook,
        crossedAt: payload.crossedAt,
        firedAt: payload.firedAt,
        app: payload.activity?.app,
        range: payload.range,
      },
      {
        hook: { id: 'b', name: 'Break' },
        crossedAt: '2025-09-11T09:50:00Z',
        firedAt: '2025-09-11T10:00:05Z',
        app: 'Code',
        range: { start: '2025-09-11T09:00:00Z', end: '2025-09-11T10:00:00Z' },
      },
    )
  })

  test('keywords: words of titles, URLs, files and labels, by the time they took', () => {
    assert.deepEqual(keywordsOf('https://www.GitHub.com/daybook/issues/24'), [
      'github',
      'daybook',
      'issues',
    ])
    const v = view(
      [
        ev('09:00', '10:00', {
          entity: 'https://github.com/daybook',
          entityType: 'Url',
          source: 'daybook-browser',
        }),
        ev('10:00', '10:30', { entity: 'Daybook notes – Editor', entityType: 'App' }),
      ],
      '11:00',
    )
    const label: Label = {
      id: 'l',
      text: 'Planning daybook',
      context: null,
      startMs: at('10:00:00'),
      endMs: at('10:10:00'),
      createdMs: 0,
      updatedMs: 0,
    }
    const found = suggestKeywords(
      v.segments,
      [label],
      { startMs: at('00:00:00'), endMs: at('11:00:00') },
      3,
    )
    assert.deepEqual(found, [
      { word: 'daybook', seconds: 6000, count: 3, sources: ['label', 'title', 'url'] },
      { word: 'github', seconds: 3600, count: 1, sources: ['url'] },
      { word: 'editor', seconds: 1800, count: 1, sources: ['title'] },
    ])
  })

  test('distances: matching minutes a day and the longest stretch, as percentiles', () => {
    const matches = eventMatcher(CODE)
    const day = dayFigures(
      view(
        [
          ev('09:00', '09:40'),
          ev('09:40', '09:50', { app: 'Firefox', source: 'daybook-browser' }),
          ev('09:50', '10:10'),
        ],
        '12:00',
      ).segments,
      matches,
    )
    assert.deepEqual(day, { minutes: 60, longestStretch: 40 })
    const s = suggestDistances([
      day,
      { minutes: 10, longestStretch: 10 },
      { minutes: 100, longestStretch: 70 },
      { minutes: 0, longestStretch: 0 },
    ])
    assert.deepEqual(s.dailyMinutes, { p25: 0, p50: 10, p75: 60, p90: 100, max: 100 })
    assert.deepEqual(s.suggested, { budget: 60, activity: 40 })
    assert.deepEqual(suggestDistances([]), {
      days: 0,
      dailyMinutes: null,
      longestStretchMinutes: null,
      suggested: null,
    })
  })
})
