/**
 * The pure parts of WakaTime compatibility: user agents (Wakapi's test table), heartbeats → events,
 * range names and duration texts.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { makeCalendar } from '../../src/domain/calendar.ts'
import { deriveEvents, isCut } from '../../src/domain/wakatime/derive.ts'
import { PLACEHOLDERS, categoryName } from '../../src/domain/wakatime/heartbeat.ts'
import {
  durationDigital,
  durationText,
  rangeName,
  resolveRange,
} from '../../src/domain/wakatime/ranges.ts'
import {
  editorDisplayName,
  editorSlug,
  parseUserAgent,
} from '../../src/domain/wakatime/user-agent.ts'

test("user agents parse as Wakapi parses them (its test table; Daybook's OS names)", () => {
  // [agent, OS, editor, AI model]; Wakapi says `Macos` and `Mac` where Daybook says macOS.
  const table: [string, string, string, string][] = [
    [
      'wakatime/13.0.7 (Linux-4.15.0-96-generic-x86_64-with-glibc2.4) Python3.8.0.final.0 GoLand/2019.3.4 GoLand-wakatime/11.0.1',
      'Linux',
      'GoLand',
      '',
    ],
    [
      'wakatime/13.0.4 (Linux-5.4.64-x86_64-with-glibc2.2.5) Python3.7.6.final.0 emacs-wakatime/1.0.2',
      'Linux',
      'emacs',
      '',
    ],
    [
      'wakatime/v1.18.11 (linux-5.13.8-200.fc34.x86_64-x86_64) go1.16.7 emacs-wakatime/1.0.2',
      'Linux',
      'emacs',
      '',
    ],
    [
      'wakatime/unset (linux-5.11.0-44-generic-x86_64) go1.16.13 emacs-wakatime/1.0.2',
      'Linux',
      'emacs',
      '',
    ],
    [
      'wakatime/ (Linux-6.0.42-1-lts-foobar-x86_64) KTextEditor/5.111.0 kate-wakatime/1.3.10',
      'Linux',
      'kate',
      '',
    ],
    ['Chrome/111.0.0.0 chrome-wakatime/3.0.6', '', 'chrome', ''],
    ['Chrome/114.0.0.0 linux_x86-64 chrome-wakatime/3.0.17', 'Linux', 'chrome', ''],
    ['Chrome/115.0.0.0 mac_arm64 chrome-wakatime/3.0.19', 'macOS', 'chrome', ''],
    ['Chrome/117.0.0.0 win_x86-64 chrome-wakatime/3.0.19', 'Windows', 'chrome', ''],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0.0.0 Safari/537.36 Edg/116.0.1938.62 win_x86-64 edge-wakatime/3.0.18',
      'Windows',
      'Edge',
      '',
    ],
    [
      'wakatime/v1.86.5 (linux-6.6.4-200.fc39.x86_64-unknown) go1.21.3 neovim/900 vim-wakatime/11.1.1',
      'Linux',
      'neovim',
      '',
    ],
    [
      'wakatime/v1.102.1 (windows-10.0.27723.1000-x86_64) go1.22.5 Skype/unknown windows-wakatime/0.5.0',
      'Windows',
      'Skype',
      '',
    ],
    [
      'wakatime/v1.102.1 (windows-10.0.27718.1000-x86_64) go1.22.5 Notepad++/unknown windows-wakatime/0.5.0',
      'Windows',
      'Notepad++',
      '',
    ],
    [
      'wakatime/v1.105.0 (linux-6.11.8-zen1-2-zen-unknown) go1.23.3 cursor/1.93.1 vscode-wakatime/24.8.0',
      'Linux',
      'cursor',
      '',
    ],
    [
      'wakatime/v1.106.1 (linux-5.15.167.4-microsoft-standard-WSL2-unknown) go1.23.3 cursor/1.93.1 vscode-wakatime/24.9.2',
      'WSL',
      'cursor',
      '',
    ],
    ['HBuilder X/4.56 (Windows_NT 10.0.26100)', 'Windows', 'HBuilder X', ''],
    [
      'wakatime/1.139.1 (linux-6.18.8-unknown) go1.25.5 helix/25.07.1 (74075bb5) wakatime-ls/0.2.2 helix-wakatime/0.2.2',
      'Linux',
      'helix',
      '',
    ],
    [
      'wakatime/v1.105.0 (linux-6.11.9-zen1-1-zen-unknown) go1.23.3 vscode/1.95.3 vscode-wakatime/24.8.0',
      'Linux',
      'vscode',
      '',
    ],
    [
      'wakatime/v2.7.0 (linux-6.19.12-200.fc43.x86_64-unknown) go1.25.9 Claude/2.1.118',
      'Linux',
      'Claude',
      '',
    ],
    [
      'wakatime/v1.107.0 (linux-6.11.8) go1.23.3 Claude/2.1.118 jetbrains/PyCharm/2023.1',
      'Linux',
      'Claude',
      '',
    ],
    [
      'wakatime/v1.130.1 (linux-6.6.87.2-microsoft-standard-WSL2-x86_64) go1.24.4 claude-code-wakatime/2.1.0',
      'WSL',
      'Claude',
      '',
    ],
    [
      'wakatime/v1.131.0 (darwin-25.0.0-arm64) go1.24.4 Claude/0.11.3-0.11.3 macos-wakatime/5.27.2',
      'macOS',
      'Claude',
      '',
    ],
    ['wakatime/v1.139.1 (darwin-25.2.0-arm64) go1.25.5 claude-code', 'macOS', '', ''],
    [
      'wakatime/v1.0 (linux-6.6.0-x86_64) go1.21 opus/4.1-medium claude-code/2.1.45',
      'Linux',
      'Claude',
      'opus',
    ],
    [
      'wakatime/v1.0 (linux-6.6.0-x86_64) go1.21 gpt/5.5-high codex-cli/0.141.0',
      'Linux',
      'codex-cli',
      'gpt',
    ],
    [
      'wakatime/v1.0 (linux-6.6.0-x86_64) go1.21 gpt/5 github-copilot-cli/1.2.3 copilot/4.5.6',
      'Linux',
      'github-copilot-cli',
      'gpt',
    ],
    [
      'wakatime/v1.0 (linux-6.6.0-x86_64) go1.21 composer/2.5 Cursor/1.105.1',
      'Linux',
      'Cursor',
      'composer',
    ],
    [
      'wakatime/v1.0 (linux-6.6.0-x86_64) go1.21 gemini/3-flash-preview vscode/1.95.3 vscode-wakatime/24.8.0',
      'Linux',
      'vscode',
      'gemini',
    ],
    [
      'wakatime/v1.0 (linux-6.6.0-x86_64) go1.21 claude-3-5-sonnet/20241022 grok-build/1.0.0',
      'Linux',
      'grok-build',
      'claude-3-5-sonnet',
    ],
  ]
  for (const [agent, os, editor, aiModel] of table) {
    assert.deepEqual(parseUserAgent(agent), { os, editor, aiModel }, agent)
  }
  // Nothing to read: empty, or a CLI agent without its OS group (Wakapi rejects it too).
  assert.equal(parseUserAgent(''), undefined)
  assert.equal(
    parseUserAgent('wakatime/13.0.7 Python3.8.0.final.0 GoLand/2019.3.4 GoLand-wakatime/11.0.1'),
    undefined,
  )
})

test('editors become sources and display names', () => {
  assert.deepEqual(
    ['vscode', 'GoLand', 'Notepad++', 'HBuilder X', '', 'codex-cli'].map(editorSlug),
    ['vscode', 'goland', 'notepadpp', 'hbuilder-x', 'unknown', 'codex-cli'],
  )
  assert.deepEqual(['vscode', 'goland', 'notepadpp', 'skype', 'unknown'].map(editorDisplayName), [
    'VS Code',
    'GoLand',
    'Notepad++',
    'Skype',
    'Unknown Editor',
  ])
  assert.deepEqual(['coding', 'writing docs', 'ai coding', 'code reviewing'].map(categoryName), [
    'Coding',
    'Writing Docs',
    'AI Coding',
    'Code Reviewing',
  ])
})

const ctx = { timeoutMs: 120_000, device: null, source: 'wakatime-vscode', app: 'VS Code' }
const at = (s: number, entity = 'a', editor = '') => ({
  timeMs: s * 1000,
  entity,
  type: 'file',
  category: 'coding',
  project: editor === '' ? 'p' : editor,
  branch: '',
  language: '',
})

test("Wakapi's duration vector: a 2-minute timeout, then 10 minutes", () => {
  // Heartbeats at 0:00, 0:30, 0:30 (a duplicate time), 2:40, 3:00 (another project), 3:10, 3:15.
  const beats = [
    at(0),
    at(30),
    at(30),
    at(160),
    at(180, 'a', 'q'),
    at(190, 'a', 'q'),
    at(195, 'a', 'q'),
  ]
  const spans = (timeoutMs: number) =>
    deriveEvents(beats, { ...ctx, timeoutMs }).map((e) => [
      e.project,
      e.startMs / 1000,
      e.endMs / 1000,
    ])
  // Wakapi's durations: 30 s, 20 s (2:40 → 3:00, credited to p), 15 s; then 180 s and 15 s.
  assert.deepEqual(spans(120_000), [
    ['p', 0, 30],
    ['p', 160, 180],
    ['q', 180, 195],
  ])
  assert.deepEqual(spans(600_000), [
    ['p', 0, 180],
    ['q', 180, 195],
  ])
})

test('a lone heartbeat is nothing; a gap equal to the timeout breaks; placeholders inherit', () => {
  assert.deepEqual(deriveEvents([at(0)], ctx), [])
  assert.deepEqual(
    deriveEvents([at(0), at(120), at(121)], ctx).map((e) => [e.startMs / 1000, e.endMs / 1000]),
    [[120, 121]],
  )
  const inherit = deriveEvents(
    [
      { ...at(0), project: 'x', language: 'Go' },
      { ...at(10, 'b'), project: PLACEHOLDERS.project, language: PLACEHOLDERS.language },
      at(20, 'c'),
    ],
    ctx,
  )
  assert.deepEqual(
    inherit.map((e) => [e.entity, e.project, e.language]),
    [
      ['a', 'x', 'Go'],
      ['b', 'x', 'Go'],
    ],
  )
  // A cut is where nothing before it matters: a long gap or a change of names, never at a
  // placeholder or at the same instant.
  assert.equal(isCut(at(0), at(200), 120_000), true)
  assert.equal(isCut(at(0), at(10, 'b'), 120_000), true)
  assert.equal(isCut(at(0), at(0, 'b'), 120_000), false)
  assert.equal(isCut(at(0), { ...at(10, 'b'), project: PLACEHOLDERS.project }, 120_000), false)
  assert.equal(isCut(at(0), at(10), 120_000), false)
})

test('range names in every spelling; day ranges are whole local days ending today', () => {
  assert.equal(rangeName('Last 7 Days'), 'last_7_days')
  assert.equal(rangeName('7_days'), 'last_7_days')
  assert.equal(rangeName('last_year'), 'last_12_months')
  assert.equal(rangeName('any'), 'all_time')
  assert.equal(rangeName('fortnight'), undefined)
  const cal = makeCalendar('Europe/Berlin')
  const now = Date.parse('2025-03-31T10:00:00Z') // the Monday after the spring-forward Sunday
  const week = resolveRange('last_7_days', now, cal)
  assert.equal(new Date(week.startMs).toISOString(), '2025-03-24T23:00:00.000Z')
  assert.equal(new Date(week.endMs).toISOString(), '2025-03-31T22:00:00.000Z')
  const lastWeek = resolveRange('last_week', now, cal)
  assert.equal((lastWeek.endMs - lastWeek.startMs) / 3_600_000, 7 * 24 - 1)
  const day = resolveRange('last_24_hours', now, cal)
  assert.deepEqual([day.startMs, day.endMs], [now - 86_400_000, now])
})

test('durations read as WakaTime writes them', () => {
  assert.deepEqual([0, 7, 59, 60, 61 * 60, 3 * 3600 + 12 * 60 + 59, 3600].map(durationText), [
    '0 secs',
    '7 secs',
    '59 secs',
    '1 min',
    '1 hr 1 min',
    '3 hrs 12 mins',
    '1 hr 0 mins',
  ])
  assert.equal(durationDigital(3 * 3600 + 5 * 60), '3:05')
})
