/**
 * A real WakaTime API client, `wakatime-client@2.7.0` from npm, against the real daemon over TCP:
 * what tools built on it (readme-stats and the like) read must come out as they expect.
 *
 * The client needs axios 0.19, so it lives in its own package (`client/package.json`), installed by
 * `.ci/run`; where it is not installed this test skips and says how to install it.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { test } from 'node:test'
import { startInProcess } from '../../daemon.ts'

const CLIENT_DIR = path.join(import.meta.dirname, 'client')

interface WakaTimeClient {
  getMe(): Promise<{ data: Record<string, unknown> }>
  getMySummary(o: {
    dateRange: { startDate: string; endDate: string }
    projectName?: string
    branchNames?: string[]
  }): Promise<Record<string, unknown>>
  getMyStats(o: { range: string; projectName?: string }): Promise<{ data: Record<string, unknown> }>
  getMyProjects(): Promise<{ data: { name: string }[] }>
  getMyHeartbeats(date: string): Promise<{ data: Record<string, unknown>[] }>
  getMyDurations(o: {
    date: string
    projectName?: string
    branchNames?: string[]
  }): Promise<{ data: { project: string; duration: number }[] }>
}

type ClientModule = {
  WakaTimeClient: new (key: string, baseURL: string) => WakaTimeClient
  RANGE: Record<string, string>
}

/** The client, or undefined when its package is not installed (a broken one throws). */
function loadClient(): ClientModule | undefined {
  if (!existsSync(path.join(CLIENT_DIR, 'node_modules', 'wakatime-client', 'package.json'))) {
    return undefined
  }
  return createRequire(path.join(CLIENT_DIR, 'package.json'))('wakatime-client') as ClientModule
}

test('wakatime-client@2.7.0 reads what the daemon recorded', async (t) => {
  const lib = loadClient()
  if (!lib) {
    t.skip(`wakatime-client is not installed; run: npm ci --prefix ${CLIENT_DIR}`)
    return
  }
  const daemon = await startInProcess(t)
  const base = `http://127.0.0.1:${daemon.discovery.port ?? 0}`
  const admin = { authorization: `Bearer ${daemon.token}`, 'content-type': 'application/json' }
  // Dates below are UTC dates: the daemon computes in UTC too.
  const settings = await fetch(`${base}/v1/settings`, {
    method: 'PUT',
    headers: admin,
    body: JSON.stringify({ timezone: 'UTC' }),
  })
  assert.equal(settings.status, 200)
  const key = async (acl: string) => {
    const res = await fetch(`${base}/v1/auth/tokens`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name: `wakatime ${acl}`, acl, expiry: 'never', format: 'wakatime' }),
    })
    return ((await res.json()) as { token: string }).token
  }
  const ingestKey = await key('ingest')
  const readKey = await key('read_only')

  // Three heartbeats in the last half hour: two covered stretches of 5 minutes, on two branches.
  const now = Date.now() / 1000
  const sent = await fetch(`${base}/api/v1/users/current/heartbeats.bulk`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(ingestKey).toString('base64')}`,
      'content-type': 'application/json',
      'user-agent': 'wakatime/v1.102.1 (linux-6.6.4-x86_64) go1.22.5 vim/9.1 vim-wakatime/11.2.0',
      'x-machine-name': 'ci-box',
    },
    body: JSON.stringify(
      [
        { branch: 'main', time: now - 20 * 60 },
        { branch: 'main', time: now - 15 * 60 },
        { branch: 'feature', time: now - 10 * 60 },
        { branch: 'feature', time: now - 5 * 60 },
      ].map((h) => ({
        entity: '/src/client.ts',
        type: 'file',
        category: 'coding',
        project: 'client-test',
        language: 'TypeScript',
        ...h,
      })),
    ),
  })
  assert.equal(sent.status, 202)

  const client = new lib.WakaTimeClient(readKey, `${base}/api/v1/`)
  const day = (s: number) => new Date(s * 1000).toISOString().slice(0, 10)
  const dates = [...new Set([day(now - 20 * 60), day(now)])]

  const me = await client.getMe()
  assert.equal(me.data.last_project, 'client-test')
  assert.equal(me.data.last_plugin_name, 'Vim')

  const summary = await client.getMySummary({
    dateRange: { startDate: dates[0] as string, endDate: dates[dates.length - 1] as string },
  })
  assert.equal((summary.cumulative_total as { seconds: number }).seconds, 15 * 60)
  assert.equal((summary.data as unknown[]).length, dates.length)
  const branch = await client.getMySummary({
    dateRange: { startDate: dates[0] as string, endDate: dates[dates.length - 1] as string },
    projectName: 'client-test',
    branchNames: ['feature'],
  })
  assert.equal((branch.cumulative_total as { seconds: number }).seconds, 5 * 60)

  const stats = await client.getMyStats({ range: lib.RANGE.LAST_7_DAYS as string })
  assert.equal(stats.data.total_seconds, 15 * 60)
  assert.deepEqual(
    (stats.data.editors as { name: string; total_seconds: number }[]).map((e) => [
      e.name,
      e.total_seconds,
    ]),
    [['Vim', 15 * 60]],
  )
  for (const range of ['LAST_30_DAYS', 'LAST_6_MONTHS', 'LAST_YEAR']) {
    const s = await client.getMyStats({ range: lib.RANGE[range] as string })
    assert.equal(s.data.total_seconds, 15 * 60, range)
  }

  const projects = await client.getMyProjects()
  assert.deepEqual(
    projects.data.map((p) => p.name),
    ['client-test'],
  )

  let beats = 0
  let seconds = 0
  for (const date of dates) {
    beats += (await client.getMyHeartbeats(date)).data.length
    const durations = await client.getMyDurations({ date, projectName: 'client-test' })
    for (const d of durations.data) {
      assert.equal(d.project, 'client-test')
      seconds += d.duration
    }
  }
  assert.equal(beats, 4)
  assert.equal(Math.round(seconds), 15 * 60)

  // The ingest key reads nothing through the client.
  const writer = new lib.WakaTimeClient(ingestKey, `${base}/api/v1/`)
  await assert.rejects(writer.getMyProjects(), (err: { response?: { status: number } }) => {
    assert.equal(err.response?.status, 403)
    return true
  })
})
