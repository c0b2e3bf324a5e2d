import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eventInput, startApp } from '../helpers.ts'

interface Project {
  id: string
  name: string
  rootPath: string | null
  lastUpdated: number
}

/** Creates `n` projects; every `tie` of them share one last-activity second. */
async function seedProjects(
  call: Awaited<ReturnType<typeof startApp>>['call'],
  n: number,
  tie: number,
) {
  const payload = Array.from({ length: n }, (_, i) => {
    const second = Date.UTC(2025, 0, 1) + Math.floor(i / tie) * 1000
    return eventInput({
      project_name: `project-${String(i).padStart(4, '0')}`,
      project_path: `/src/p${i}`,
      timestamp: new Date(second - 500).toISOString(),
      end_timestamp: new Date(second).toISOString(),
    })
  })
  const res = await call({ method: 'POST', url: '/events', payload })
  assert.equal(res.statusCode, 200, res.body)
}

test('keyset pages over hundreds of projects with tied timestamps: every project exactly once', async (t) => {
  const { call } = await startApp(t)
  await seedProjects(call, 437, 25)
  const first = (await call({ method: 'GET', url: '/projects?limit=20' })).json()
  assert.equal(first.totalPages, 22)
  assert.equal(first.cursors.length, 22)

  const seen: Project[] = []
  for (const [k, cursor] of (first.cursors as string[]).entries()) {
    const page = (
      await call({ method: 'GET', url: `/projects?limit=20&after=${encodeURIComponent(cursor)}` })
    ).json()
    // cursors[k] opens page k+1 and the page starts with that very row.
    assert.equal(`${page.data[0].lastUpdated}:${page.data[0].id}`, cursor, `page ${k + 1}`)
    if (k === 0) assert.deepEqual(page.data, first.data)
    seen.push(...page.data)
  }
  assert.equal(seen.length, 437)
  assert.equal(new Set(seen.map((p) => p.id)).size, 437)
  // Newest first, ties broken by id, descending.
  for (let i = 1; i < seen.length; i++) {
    const a = seen[i - 1] as Project
    const b = seen[i] as Project
    assert.ok(
      a.lastUpdated > b.lastUpdated || (a.lastUpdated === b.lastUpdated && a.id > b.id),
      `order at ${i}`,
    )
  }
})

test('project rows: root path kept, last activity in unix seconds', async (t) => {
  const { call } = await startApp(t)
  await call({
    method: 'POST',
    url: '/events',
    payload: [
      eventInput({
        project_name: 'web',
        project_path: '/src/web',
        end_timestamp: '2025-09-11T12:36:56Z',
      }),
      eventInput({
        project_name: 'web',
        project_path: '/elsewhere',
        timestamp: '2025-09-12T08:00:00Z',
        end_timestamp: '2025-09-12T08:00:10Z',
      }),
    ],
  })
  const [web] = (await call({ method: 'GET', url: '/projects' })).json().data
  assert.equal(web.rootPath, '/src/web')
  assert.equal(web.lastUpdated, Date.parse('2025-09-12T08:00:10Z') / 1000)
  // Re-sending older activity does not move a project back in time.
  await call({
    method: 'POST',
    url: '/events',
    payload: [
      eventInput({
        project_name: 'web',
        timestamp: '2025-01-01T00:00:00Z',
        end_timestamp: '2025-01-01T00:00:01Z',
      }),
    ],
  })
  assert.equal(
    (await call({ method: 'GET', url: '/projects' })).json().data[0].lastUpdated,
    web.lastUpdated,
  )
})

test('query= searches names by word prefix; an empty query lists', async (t) => {
  const { call } = await startApp(t)
  await call({
    method: 'POST',
    url: '/events',
    payload: ['pdf-lib.js.org', 'react.dev', 'Daybook', 'my project', 'Über-Tool'].map(
      (project_name) => eventInput({ project_name }),
    ),
  })
  const names = async (q: string) =>
    (await call({ method: 'GET', url: `/projects?query=${encodeURIComponent(q)}` }))
      .json()
      .data.map((p: Project) => p.name)
      .sort()
  assert.deepEqual(await names('p'), ['my project', 'pdf-lib.js.org'])
  assert.deepEqual(await names('rea'), ['react.dev'])
  assert.deepEqual(await names('DAY'), ['Daybook'])
  assert.deepEqual(await names('proj'), ['my project'])
  assert.deepEqual(await names('uber'), ['Über-Tool'])
  assert.deepEqual(await names('"'), [])
  assert.deepEqual(await names('zzz'), [])
  const search = (await call({ method: 'GET', url: '/projects?query=p' })).json()
  assert.equal(search.totalPages, null)
  assert.deepEqual(search.cursors, [])
  const listed = (await call({ method: 'GET', url: '/projects?query=' })).json()
  assert.equal(listed.data.length, 5)
  assert.equal(listed.totalPages, 1)
})

test('GET /projects/:id returns the project, null when absent, 400 for a malformed id', async (t) => {
  const { call } = await startApp(t)
  await call({ method: 'POST', url: '/events', payload: [eventInput()] })
  const [p] = (await call({ method: 'GET', url: '/projects' })).json().data
  const found = await call({ method: 'GET', url: `/projects/${p.id}` })
  assert.deepEqual(found.json(), p)
  const missing = await call({
    method: 'GET',
    url: '/v1/projects/0199881f-4613-7ac3-a5bb-2cd7ff27ff5a',
  })
  assert.equal(missing.statusCode, 200)
  assert.equal(missing.body, 'null')
  const bad = await call({ method: 'GET', url: '/projects/not-a-uuid' })
  assert.equal(bad.statusCode, 400)
  assert.equal(bad.json().code, 'invalid_params')
})

test('a malformed cursor or limit is a 400, not a silent first page', async (t) => {
  const { call } = await startApp(t)
  for (const q of ['after=garbage', 'after=123:not-a-uuid', 'limit=0', 'limit=101', 'limit=x']) {
    const res = await call({ method: 'GET', url: `/projects?${q}` })
    assert.equal(res.statusCode, 400, q)
    assert.ok(['invalid_cursor', 'invalid_query'].includes(res.json().code), q)
  }
})

test('GET /apps and /categories list names in order', async (t) => {
  const { call } = await startApp(t)
  await call({
    method: 'POST',
    url: '/events',
    payload: [
      eventInput({ app_name: 'iTerm2', category: 'Other' }),
      eventInput({ app_name: 'Code', category: 'Coding', entity_name: 'x' }),
      eventInput({ app_name: 'Code', category: 'Coding', entity_name: 'y' }),
    ],
  })
  const apps = (await call({ method: 'GET', url: '/apps' })).json()
  assert.deepEqual(
    apps.map((a: { name: string }) => a.name),
    ['Code', 'iTerm2'],
  )
  for (const a of apps) assert.match(a.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/) // UUIDv7
  const cats = (await call({ method: 'GET', url: '/v1/categories' })).json()
  // With the categories the default category rules count time under.
  assert.deepEqual(
    cats.map((c: { name: string }) => c.name),
    ['Coding', 'Communicating', 'Meeting', 'Other'],
  )
})
