import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, test } from 'node:test'
import { tempDir } from '../helpers.ts'
import {
  type RunningDaemon,
  MAIN,
  cleanEnv,
  request,
  runCli,
  startDaemon,
  startInProcess,
} from '../daemon.ts'

function call(d: RunningDaemon, method: string, url: string, body?: unknown) {
  return request(
    { port: d.discovery.port as number },
    {
      method,
      path: url,
      headers: { authorization: `Bearer ${d.token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    },
  )
}

const dirs = (d: RunningDaemon) => ['--data-dir', d.dataDir, '--config-dir', d.configDir]

async function buckets(d: RunningDaemon, by: string): Promise<unknown> {
  const q =
    'preset[custom][start]=2025-01-01T00:00:00Z&preset[custom][end]=2025-02-01T00:00:00Z' +
    `&preset[custom][bucket]=day&tz=UTC&groupBy=${by}`
  const res = await call(d, 'GET', `/v1/summary/buckets?${q}`)
  assert.equal(res.status, 200, res.body)
  return JSON.parse(res.body)
}

/** `count` one-minute events two minutes apart from 2025-01-01, on two projects, as CSV. */
function csvRows(from: number, count: number): string {
  const start = Date.parse('2025-01-01T00:00:00Z') / 1000
  let out = ''
  for (let i = from; i < from + count; i++) {
    const s = start + i * 120
    out += `${s},${s + 60},Code,file${i % 7}.ts,,${i % 2 === 0 ? 'even' : 'odd'},,TypeScript,Coding,,box\n`
  }
  return out
}
const HEADER = 'start,end,app,title,url,project,branch,language,category,source,device\n'

describe('daybook export and import (real daemons)', () => {
  test('export --out, import into a fresh daemon: equal answers; again: all duplicates', async (t) => {
    const a = await startInProcess(t)
    const seeded = await call(a, 'POST', '/v1/events', [
      {
        timestamp: '2025-01-02T09:00:00Z',
        end_timestamp: '2025-01-02T09:45:00Z',
        category: 'Coding',
        app_name: 'Code',
        entity_name: 'a.ts',
        project_name: 'alpha',
        source_name: 'test',
      },
      {
        timestamp: '2025-01-03T10:00:00Z',
        end_timestamp: '2025-01-03T10:20:00Z',
        category: 'Coding',
        app_name: 'Zed',
        entity_name: 'b.rs',
        project_name: 'beta',
        source_name: 'test',
        device: 'desktop',
      },
    ])
    assert.equal(seeded.status, 200, seeded.body)
    const file = path.join(tempDir(t), 'all.ndjson')
    const exported = await runCli(['export', '--out', file, ...dirs(a)], {}, t)
    assert.equal(exported.code, 0, exported.stderr)

    const b = await startInProcess(t)
    const imported = await runCli(['import', file, ...dirs(b)], {}, t)
    assert.equal(imported.code, 0, imported.stderr)
    assert.match(imported.stdout, /^imported 2, duplicates 0$/m)
    assert.match(imported.stdout, /device desktop: 1 imported, 0 duplicates/)
    for (const by of ['project', 'device']) {
      assert.deepEqual(await buckets(b, by), await buckets(a, by))
    }
    const again = await runCli(['import', file, ...dirs(b)], {}, t)
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, /^all duplicates: /m)

    // A broken file: one line naming it and the line, exit 1.
    const bad = path.join(tempDir(t), 'bad.csv')
    writeFileSync(bad, `${HEADER}2025-01-05T00:00:00Z,soon,Code,x,,p,,,Coding,,box\n`)
    const refused = await runCli(['import', bad, '--atomic', ...dirs(b)], {}, t)
    assert.equal(refused.code, 1)
    assert.match(
      refused.stderr,
      new RegExp(`daybook import: ${bad}: line 2: end must be an RFC 3339`),
    )
    assert.match(refused.stdout, /nothing from this file was stored/)
  })

  test('kill -9 in the middle of an import, then the import again: exact totals', async (t) => {
    const d = await startDaemon(t)
    const first = 5000
    const rest = 3000
    // The file arrives through a pipe: the daemon is killed once the first part is stored,
    // whatever the machine's speed.
    const cli = spawn(process.execPath, [MAIN, 'import', '-', '--format', 'csv', ...dirs(d)], {
      env: cleanEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    t.after(() => {
      if (cli.exitCode === null) cli.kill('SIGKILL')
    })
    const cliExit = new Promise((resolve) => cli.on('exit', resolve))
    // The pipe breaks when the CLI ends with its daemon.
    cli.stdin.on('error', () => undefined)
    cli.stdin.write(HEADER + csvRows(0, first))
    for (;;) {
      const status = JSON.parse((await call(d, 'GET', '/v1/status')).body) as {
        counts: { events: number }
      }
      if (status.counts.events >= 4000) break
      await sleep(20)
    }
    d.child.kill('SIGKILL')
    await d.exited
    cli.stdin.end()
    await cliExit

    const again = await startDaemon(t, [], { dataDir: d.dataDir, configDir: d.configDir })
    const file = path.join(tempDir(t), 'all.csv')
    writeFileSync(file, HEADER + csvRows(0, first + rest))
    const resumed = await runCli(['import', file, ...dirs(again)], {}, t)
    assert.equal(resumed.code, 0, resumed.stderr)
    const m = /^imported (\d+), duplicates (\d+)$/m.exec(resumed.stdout)
    assert.ok(m, resumed.stdout)
    assert.equal(Number(m[1]) + Number(m[2]), first + rest)
    assert.ok(Number(m[2]) >= 4000, resumed.stdout)
    // 8000 one-minute events, half on each project: exactly 480,000 seconds.
    const total = await call(again, 'GET', '/v1/summary/total')
    assert.equal(total.body, String((first + rest) * 60))
    const even = await call(again, 'GET', '/v1/summary/total?projects=even')
    assert.equal(even.body, String(((first + rest) / 2) * 60))
  })

  test('--from-url: day by day from a WakaTime-compatible server, resumable', async (t) => {
    // A stand-in for Wakapi's API (an external system): heartbeats per day, Basic auth.
    const KEY = 'c0ffee00-0000-4000-8000-000000000000'
    const asked: string[] = []
    const beats = (date: string) =>
      date === '2025-01-02'
        ? [0, 60, 300].map((s) => ({
            entity: '/w/x.go',
            type: 'file',
            category: 'coding',
            project: 'remote',
            language: 'Go',
            is_write: false,
            time: Date.parse(`${date}T08:00:00Z`) / 1000 + s,
            machine_name_id: 'laptop',
            user_agent_id: 'wakatime/v1.90.0 (linux) go1.22 vim/9.1 vim-wakatime/11.0.0',
          }))
        : []
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x')
      if (req.headers.authorization !== `Basic ${Buffer.from(KEY).toString('base64')}`) {
        res.writeHead(401).end('{"error":"unauthorized"}')
        return
      }
      const date = url.searchParams.get('date') ?? ''
      asked.push(`${url.pathname} ${date}`)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ data: beats(date) }))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.after(() => server.close())
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/compat/wakatime/v1`
    const d = await startInProcess(t)
    const args = [
      'import',
      '--from-url',
      base,
      '--start',
      '2025-01-01',
      '--end',
      '2025-01-03',
      ...dirs(d),
    ]
    const run = await runCli([...args, '--api-key', KEY], {}, t)
    assert.equal(run.code, 0, run.stderr)
    assert.deepEqual(asked, [
      '/api/compat/wakatime/v1/users/current/heartbeats 2025-01-01',
      '/api/compat/wakatime/v1/users/current/heartbeats 2025-01-02',
      '/api/compat/wakatime/v1/users/current/heartbeats 2025-01-03',
    ])
    assert.match(run.stdout, /^imported 3, duplicates 0$/m)
    // 08:00 → 08:05 covered.
    assert.equal((await call(d, 'GET', '/v1/summary/total?projects=remote')).body, '300')
    const again = await runCli([...args, '--api-key', KEY], {}, t)
    assert.match(again.stdout, /^all duplicates: /m)
    const wrongKey = await runCli([...args, '--api-key', 'nope'], {}, t)
    assert.equal(wrongKey.code, 1)
    assert.match(wrongKey.stderr, /refused the API key \(HTTP 401\)/)
  })
})
