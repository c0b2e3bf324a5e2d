/**
 * What a firing hands its actions: the rule (its id, name and condition, never its actions, so
 * no webhook secret), the crossing, the activity that matched and the times. The same JSON goes
 * to webhooks, to commands (stdin and `DAYBOOK_HOOK_PAYLOAD`), to the stream and to the log.
 */
import { formatTimestamp } from '../calendar.ts'
import { entitySubject } from '../category-rules.ts'
import type { ActivityEvent } from '../events.ts'
import { MINUTE_MS } from '../time.ts'
import type { Crossing } from './conditions.ts'
import { type HookRule, describeWhen } from './rules.ts'

/** The activity that matched, as hooks' receivers see it. */
export interface PayloadActivity {
  start: string
  end: string
  app: string
  title: string | null
  url: string | null
  entity: string
  project: string
  category: string
  language: string | null
  branch: string | null
  device: string
  source: string
}

export interface HookPayload {
  hook: { id: string; name: string }
  condition: {
    kind: HookRule['when']['kind']
    minutes: number | null
    breakMinutes: number | null
    text: string
  }
  firedAt: string
  /** When the condition became true (before `firedAt` when the data came late). */
  crossedAt: string
  /** The stretch that matched. */
  range: { start: string; end: string }
  /** The measured minutes at the crossing (away, silent, active), when the kind measures any. */
  minutes: number | null
  activity: PayloadActivity | null
  project: { name: string; transition: 'started' | 'stopped' } | null
  collector: { source: string; device: string; lastSeen: string } | null
  label: { id: string; text: string; start: string; end: string } | null
  /** True for `daybook hooks test`: a sample, not something that happened. */
  test: boolean
}

function activityOf(e: ActivityEvent, range: { startMs: number; endMs: number }): PayloadActivity {
  return {
    start: formatTimestamp(range.startMs),
    end: formatTimestamp(range.endMs),
    app: e.app,
    title: entitySubject(e, 'title') ?? null,
    url: e.entityType === 'Url' ? e.entity : null,
    entity: e.entity,
    project: e.project,
    category: e.category,
    language: e.language,
    branch: e.branch,
    device: e.device,
    source: e.source,
  }
}

/** The payload of a rule firing for a crossing at `firedMs`. */
export function hookPayload(
  rule: HookRule,
  c: Crossing,
  firedMs: number,
  test = false,
): HookPayload {
  return {
    hook: { id: rule.id, name: rule.name },
    condition: {
      kind: rule.when.kind,
      minutes: rule.when.minutes ?? null,
      breakMinutes: rule.when.breakMinutes ?? null,
      text: describeWhen(rule.when),
    },
    firedAt: formatTimestamp(firedMs),
    crossedAt: formatTimestamp(c.at),
    range: { start: formatTimestamp(c.range.startMs), end: formatTimestamp(c.range.endMs) },
    minutes: c.minutes,
    activity: c.event ? activityOf(c.event, c.range) : null,
    project: c.project ?? null,
    collector: c.collector
      ? {
          source: c.collector.source,
          device: c.collector.device,
          lastSeen: formatTimestamp(c.collector.lastSeenMs),
        }
      : null,
    label: c.label
      ? {
          id: c.label.id,
          text: c.label.text,
          start: formatTimestamp(c.label.startMs),
          end: formatTimestamp(c.label.endMs),
        }
      : null,
    test,
  }
}

/** The crossing `daybook hooks test` fires: made up, and marked so (`test: true` in the payload). */
export function sampleCrossing(rule: HookRule, nowMs: number, device: string): Crossing {
  const n = (rule.when.minutes ?? 25) * MINUTE_MS
  const startMs = nowMs - n
  const event: ActivityEvent = {
    id: '00000000-0000-5000-8000-000000000000',
    device,
    startMs,
    endMs: nowMs,
    durationSec: n / 1000,
    category: 'Coding',
    app: 'Example',
    entity: 'example.txt',
    entityType: 'File',
    project: 'example',
    projectPath: null,
    branch: null,
    language: null,
    source: 'daybook-hooks-test',
  }
  const kind = rule.when.kind
  return {
    at: nowMs,
    key: `test:${nowMs}`,
    range: { startMs, endMs: nowMs },
    event: kind === 'silent_collector' || kind === 'label' ? null : event,
    minutes: rule.when.minutes ?? null,
    ...(kind === 'project_switch'
      ? { project: { name: 'example', transition: 'started' as const } }
      : {}),
    ...(kind === 'silent_collector'
      ? { collector: { source: 'example-watcher', device, lastSeenMs: startMs } }
      : {}),
    ...(kind === 'label'
      ? {
          label: {
            id: '00000000-0000-5000-8000-000000000000',
            text: 'example label',
            context: null,
            startMs,
            endMs: nowMs,
            createdMs: nowMs,
            updatedMs: nowMs,
          },
        }
      : {}),
  }
}
