/**
 * Ready-made rules for the dashboard's "new rule" form: a break reminder, a daily budget for
 * social sites, a webhook when work on a project starts and stops, a command when you are back.
 * Each says which values it asks for and builds the rule from them (the daemon checks it).
 */
import type { HookRuleInput } from './rules.ts'

export interface TemplateField {
  key: string
  label: string
  /** `list`: comma-separated words; `lines`: one value per line (a command's arguments). */
  type: 'text' | 'minutes' | 'url' | 'secret' | 'list' | 'lines'
  required: boolean
  value: string
}

export interface HookTemplate {
  id: 'break' | 'budget' | 'project-webhook' | 'back-from-afk'
  title: string
  description: string
  fields: TemplateField[]
  build(values: Readonly<Record<string, string>>, id: string): HookRuleInput
}

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((w) => w.trim())
    .filter((w) => w !== '')

const lines = (value: string | undefined) =>
  (value ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')

const minutes = (value: string | undefined) => Number(value)

const name = (value: string): TemplateField => ({
  key: 'name',
  label: 'Name',
  type: 'text',
  required: true,
  value,
})

export const HOOK_TEMPLATES: readonly HookTemplate[] = [
  {
    id: 'break',
    title: 'Break reminder',
    description: 'A notification after a stretch of work without a pause.',
    fields: [
      name('Break reminder'),
      {
        key: 'minutes',
        label: 'After minutes of work',
        type: 'minutes',
        required: true,
        value: '50',
      },
      {
        key: 'breakMinutes',
        label: 'A pause of at least (minutes)',
        type: 'minutes',
        required: true,
        value: '5',
      },
      {
        key: 'message',
        label: 'Message',
        type: 'text',
        required: false,
        value: 'Time for a break: stand up and look away for a few minutes.',
      },
    ],
    build: (v, id) => ({
      id,
      name: v.name,
      when: {
        kind: 'no_break',
        minutes: minutes(v.minutes),
        breakMinutes: minutes(v.breakMinutes),
      },
      then: [{ kind: 'notify', ...(v.message ? { message: v.message } : {}) }],
    }),
  },
  {
    id: 'budget',
    title: 'Daily budget',
    description: 'A nudge when the time on some sites today is spent.',
    fields: [
      name('Social sites'),
      {
        key: 'sites',
        label: 'Sites (comma-separated)',
        type: 'list',
        required: true,
        value: 'reddit.com, youtube.com, x.com, facebook.com, instagram.com',
      },
      { key: 'minutes', label: 'Minutes a day', type: 'minutes', required: true, value: '30' },
    ],
    build: (v, id) => ({
      id,
      name: v.name,
      when: { kind: 'budget', match: { url: list(v.sites) }, minutes: minutes(v.minutes) },
      then: [{ kind: 'notify', message: `Today's ${minutes(v.minutes)} minutes are spent.` }],
    }),
  },
  {
    id: 'project-webhook',
    title: 'Project start/stop webhook',
    description: 'A signed POST to a time tracker when work on a project starts and when it stops.',
    fields: [
      name('Time tracking'),
      { key: 'url', label: 'Webhook URL', type: 'url', required: true, value: '' },
      {
        key: 'secret',
        label: 'Secret (signs each request)',
        type: 'secret',
        required: false,
        value: '',
      },
      {
        key: 'projects',
        label: 'Projects (comma-separated; empty: any)',
        type: 'list',
        required: false,
        value: '',
      },
      {
        key: 'minutes',
        label: 'Stopped after minutes without it',
        type: 'minutes',
        required: true,
        value: '15',
      },
    ],
    build: (v, id) => {
      const projects = list(v.projects)
      return {
        id,
        name: v.name,
        when: {
          kind: 'project_switch',
          // Window and browser events carry the app or site as their project: coding only.
          match: { category: ['coding'], ...(projects.length > 0 ? { project: projects } : {}) },
          minutes: minutes(v.minutes),
        },
        then: [{ kind: 'webhook', url: v.url, ...(v.secret ? { secret: v.secret } : {}) }],
      }
    },
  },
  {
    id: 'back-from-afk',
    title: 'Back from AFK',
    description: 'A command when you come back after time away.',
    fields: [
      name('Back from a break'),
      {
        key: 'minutes',
        label: 'After at least minutes away',
        type: 'minutes',
        required: true,
        value: '15',
      },
      {
        key: 'argv',
        label: 'Command: the program, then each argument on its own line (no shell)',
        type: 'lines',
        required: true,
        value: '',
      },
    ],
    build: (v, id) => ({
      id,
      name: v.name,
      when: { kind: 'back_from_afk', minutes: minutes(v.minutes) },
      then: [{ kind: 'command', argv: lines(v.argv) }],
    }),
  },
]

/** A rule id from a name, unlike any of `taken`: `break-reminder`, `break-reminder-2`. */
export function ruleId(name: string, taken: readonly string[]): string {
  const base =
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 56) || 'rule'
  let id = base
  for (let n = 2; taken.includes(id); n++) id = `${base}-${n}`
  return id
}
