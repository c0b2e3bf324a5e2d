import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DaybookClient } from '../../src/client/client.ts'
import { type RunningDaemon, runCli, startInProcess } from '../daemon.ts'
import { eventInput, fileScope } from '../helpers.ts'

/** One daemon for both tests: the second only sends options that are refused, and changes nothing. */
const file = fileScope()
let shared: Promise<RunningDaemon> | undefined
const daemon = () => (shared ??= startInProcess(file))

test('daybook summary prints a table through the running daemon, and JSON with --json', async () => {
  const d = await daemon()
  const client = DaybookClient.local({ dataDir: d.dataDir, configDir: d.configDir, env: {} })
  const ev = (start: string, end: string, project: string, language: string | null) =>
    eventInput({
      timestamp: start,
      end_timestamp: end,
      duration: null,
      project_name: project,
      language_name: language,
    })
  await client.post('/v1/events', [
    ev('2025-03-03T09:00:00Z', '2025-03-03T12:12:00Z', 'daybook', 'TypeScript'),
    ev('2025-03-03T13:00:00Z', '2025-03-03T13:45:00Z', 'notes', null),
    ev('2025-03-04T09:00:00Z', '2025-03-04T09:30:00Z', 'daybook', 'TypeScript'),
    ev('2025-03-06T09:00:00Z', '2025-03-06T10:00:00Z', 'outside', 'Rust'),
  ])
  const flags = ['--data-dir', d.dataDir, '--config-dir', d.configDir, '--tz', 'UTC']

  const table = await runCli(['summary', '--range', '2025-03-03..2025-03-04', ...flags])
  assert.equal(table.code, 0, table.stderr)
  const lines = table.stdout.trimEnd().split('\n')
  assert.equal(lines[0], '2025-03-03..2025-03-04 (UTC): 4h 27m active')
  assert.match(lines[1] ?? '', /^daybook\s+3h 42m\s+█{24}$/)
  assert.match(lines[2] ?? '', /^notes\s+45m\s+█+$/)
  assert.equal(lines.length, 3)

  const byLanguage = await runCli([
    'summary',
    '--range',
    '2025-03-03',
    '--by',
    'language',
    '--json',
    ...flags,
  ])
  assert.equal(byLanguage.code, 0, byLanguage.stderr)
  assert.deepEqual(JSON.parse(byLanguage.stdout), {
    range: '2025-03-03',
    timezone: 'UTC',
    by: 'language',
    totalSeconds: 3 * 3600 + 12 * 60 + 45 * 60,
    groups: [{ name: 'TypeScript', seconds: 3 * 3600 + 12 * 60 }],
    unassignedSeconds: 45 * 60,
  })

  const empty = await runCli(['summary', '--range', 'today', ...flags])
  assert.equal(empty.code, 0)
  assert.match(empty.stdout, /no activity recorded/)
})

test('daybook summary: bad options and a missing daemon are one clear line', async () => {
  const d = await daemon()
  const flags = ['--data-dir', d.dataDir, '--config-dir', d.configDir]
  for (const [args, pattern] of [
    [['--range', 'fortnight'], /--range must be/],
    [['--range', '2025-03-05..2025-03-01'], /ends before it starts/],
    [['--range', '2025-02-30'], /does not exist/],
    [['--by', 'mood'], /--by must be one of/],
    [['--tz', 'Mars/Olympus'], /unknown time zone/],
  ] as const) {
    const r = await runCli(['summary', ...args, ...flags])
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, pattern)
  }
  const nowhere = await runCli(['summary', '--data-dir', '/nonexistent/daybook'])
  assert.equal(nowhere.code, 1)
  assert.equal(
    nowhere.stderr.trim(),
    'daybook summary: no daybook daemon is running for /nonexistent/daybook (start one with: daybook serve)',
  )
  const help = await runCli(['summary', '--help'])
  for (const word of ['--range', '--by', '--tz', '--json', '--data-dir', '--url'])
    assert.ok(help.stdout.includes(word), word)
})
