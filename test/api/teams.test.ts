/**
 * Teams through the HTTP API, on SQLite and on PostgreSQL: invitation and consent, what each
 * member shares (totals only, or details per project), who sees what (a non-member nothing, an
 * invitee no totals), the leaderboard's order and totals against each member's own
 * `/v1/summary/total`, leaving and removing, and bad input.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eventInput, startApp } from '../helpers.ts'
import { freshDatabase, postgresUnavailable } from '../postgres.ts'

const missing = await postgresUnavailable()
const NOW = Date.parse('2025-09-11T15:00:00Z')
const DAY = '2025-09-11'

interface Leaderboard {
  current_user: { rank: number; page: number; user: { id: string } | null }
  data: {
    rank: number
    running_total: {
      total_seconds: number
      daily_average: number
      languages: { name: string; total_seconds: number }[]
    }
    user: { id: string; username: string }
    range: { start: string; end: string; timezone: string }
  }[]
  range: { name: string; text: string }
}

interface Totals {
  members: {
    user: string
    seconds: number
    range: { start: string; end: string }
    projects: {
      name: string
      seconds: number
      details?: { entities: { name: string }[]; labels: { name: string; seconds: number }[] }
    }[]
    languages: { name: string; seconds: number }[]
  }[]
  projects: { name: string; seconds: number }[]
}

function span(from: string, to: string, o: Record<string, unknown>) {
  const start = `${DAY}T${from}:00Z`
  const end = `${DAY}T${to}:00Z`
  return eventInput({
    timestamp: start,
    end_timestamp: end,
    duration: (Date.parse(end) - Date.parse(start)) / 1000,
    ...o,
  })
}

/** The users, their tokens and their days; each word marks data only its owner may see. */
async function setUp(t: Parameters<typeof startApp>[0], postgres?: string) {
  const ctx = await startApp(t, { now: NOW, ...(postgres ? { postgres } : {}) })
  const { call } = ctx
  const tokens: Record<string, string> = {}
  for (const name of ['ann', 'bob', 'cy', 'dee']) {
    assert.equal(
      (await call({ method: 'POST', url: '/v1/users', payload: { name } })).statusCode,
      201,
    )
    const res = await call({
      method: 'POST',
      url: `/v1/users/${name}/tokens`,
      payload: { name: 'laptop', acl: 'admin', expiry: 'never' },
    })
    tokens[name] = res.json<{ token: string }>().token
  }
  const readOnly = await call({
    method: 'POST',
    url: '/v1/users/ann/tokens',
    payload: { name: 'reader', acl: 'read_only', expiry: 'never' },
  })
  tokens.annReader = readOnly.json<{ token: string }>().token
  const as = (who: string) => (method: string, url: string, payload?: unknown) =>
    ctx.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${tokens[who]}` },
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
  const days: Record<string, Record<string, unknown>[]> = {
    ann: [
      span('10:00', '11:00', {
        project_name: 'alpha',
        entity_name: 'alpha/main.rs',
        language_name: 'Rust',
      }),
      // Overlaps alpha by half an hour: shared time is counted once, as her own summary does.
      span('10:30', '11:30', {
        project_name: 'beta',
        entity_name: 'Beta Secret Title',
        language_name: 'Go',
      }),
      span('12:00', '13:00', {
        project_name: 'gammasecret',
        entity_name: 'g.rs',
        language_name: 'Rust',
      }),
    ],
    bob: [
      span('09:00', '09:30', {
        project_name: 'alpha',
        entity_name: 'bobfile_alpha.py',
        language_name: 'Python',
      }),
      span('14:00', '14:45', {
        project_name: 'delta',
        entity_name: 'bobtitle_delta',
        language_name: 'Rust',
      }),
    ],
    cy: [span('09:00', '12:00', { project_name: 'cyproject', entity_name: 'cyfile' })],
    dee: [span('09:00', '12:00', { project_name: 'deeproject', entity_name: 'deefile' })],
  }
  for (const [who, events] of Object.entries(days)) {
    const res = await as(who)('POST', '/v1/events', events)
    assert.equal(res.statusCode, 200, res.body)
  }
  const label = await as('ann')('POST', '/v1/labels', {
    startUtc: Date.parse(`${DAY}T10:00:00Z`) / 1000,
    endUtc: Date.parse(`${DAY}T10:20:00Z`) / 1000,
    text: 'annlabel',
  })
  assert.equal(label.statusCode < 300, true, label.body)
  return { ...ctx, as, tokens }
}

/** A member's own `/v1/summary/total` over `range` for `projects` (and `languages`). */
async function ownTotal(
  ctx: Awaited<ReturnType<typeof setUp>>,
  who: string,
  range: { start: string; end: string },
  projects: string[],
  languages: string[] = [],
): Promise<number> {
  const q = new URLSearchParams({ start: range.start, end: range.end })
  for (const p of projects) q.append('projects[]', p)
  for (const l of languages) q.append('languages[]', l)
  const res = await ctx.as(who)('GET', `/v1/summary/total?${q.toString()}`)
  assert.equal(res.statusCode, 200, res.body)
  return res.json<number>()
}

async function walk(t: Parameters<typeof startApp>[0], postgres?: string) {
  const ctx = await setUp(t, postgres)
  const { as } = ctx
  const ann = as('ann')
  const bob = as('bob')
  const cy = as('cy')
  const dee = as('dee')

  const made = await ann('POST', '/v1/teams', { name: 'Core' })
  assert.equal(made.statusCode, 201, made.body)
  const id = made.json<{ id: string }>().id
  assert.deepEqual(
    made
      .json<{ members: { user: string; role: string; joined: boolean }[] }>()
      .members.map((m) => [m.user, m.role, m.joined]),
    [['ann', 'admin', true]],
  )

  // Invitations: by a team admin only, to users of this server, once.
  assert.equal((await ann('POST', `/v1/teams/${id}/members`, { user: 'bob' })).statusCode, 200)
  assert.equal((await ann('POST', `/v1/teams/${id}/members`, { user: 'cy' })).statusCode, 200)
  const again = await ann('POST', `/v1/teams/${id}/members`, { user: 'bob' })
  assert.equal(again.statusCode, 409)
  assert.equal(again.json<{ code: string }>().code, 'already_member')
  const nobody = await ann('POST', `/v1/teams/${id}/members`, { user: 'nobody' })
  assert.equal(nobody.statusCode, 404)
  assert.equal(nobody.json<{ code: string }>().code, 'unknown_user')
  const notAdminYet = await bob('POST', `/v1/teams/${id}/members`, { user: 'dee' })
  assert.equal(notAdminYet.json<{ code: string }>().code, 'invitation_pending')

  // A non-member sees nothing, not even that the team exists.
  for (const url of [`/v1/teams/${id}`, `/v1/teams/${id}/leaderboard`, `/v1/teams/${id}/totals`]) {
    const res = await dee('GET', url)
    assert.equal(res.statusCode, 404, `${url}: ${res.body}`)
    assert.equal(res.json<{ code: string }>().code, 'unknown_team')
  }
  assert.deepEqual((await dee('GET', '/v1/teams')).json(), [])
  assert.equal((await dee('POST', `/v1/teams/${id}/accept`)).statusCode, 404)
  // An invitee sees who is in it, and no totals until they accept.
  assert.equal((await cy('GET', `/v1/teams/${id}`)).statusCode, 200)
  for (const url of [`/v1/teams/${id}/leaderboard`, `/v1/teams/${id}/totals`]) {
    const res = await cy('GET', url)
    assert.equal(res.statusCode, 403, `${url}: ${res.body}`)
    assert.equal(res.json<{ code: string }>().code, 'invitation_pending')
  }
  const early = await cy('PUT', `/v1/teams/${id}/shares`, { projects: [{ name: 'cyproject' }] })
  assert.equal(early.statusCode, 403)
  assert.equal(early.json<{ code: string }>().code, 'invitation_pending')

  assert.equal((await bob('POST', `/v1/teams/${id}/accept`)).statusCode, 200)
  const notAdmin = await bob('POST', `/v1/teams/${id}/members`, { user: 'dee' })
  assert.equal(notAdmin.statusCode, 403)
  assert.equal(notAdmin.json<{ code: string }>().code, 'not_team_admin')

  // Joined, nothing shared yet: both on the board with nothing.
  const empty = (await ann('GET', `/v1/teams/${id}/leaderboard`)).json<Leaderboard>()
  assert.deepEqual(
    empty.data.map((e) => [e.rank, e.user.id, e.running_total.total_seconds]),
    [
      [1, 'ann', 0],
      [2, 'bob', 0],
    ],
  )

  // A read-only token cannot give consent.
  const reader = await as('annReader')('PUT', `/v1/teams/${id}/shares`, { projects: [] })
  assert.equal(reader.statusCode, 403)
  const annShares = await ann('PUT', `/v1/teams/${id}/shares`, {
    projects: [{ name: 'alpha', details: true }, { name: 'beta' }],
  })
  assert.equal(annShares.statusCode, 200, annShares.body)
  assert.deepEqual(annShares.json(), {
    projects: [
      { name: 'alpha', details: true },
      { name: 'beta', details: false },
    ],
  })
  assert.equal(
    (
      await bob('PUT', `/v1/teams/${id}/shares`, {
        projects: [{ name: 'alpha' }, { name: 'delta' }],
      })
    ).statusCode,
    200,
  )

  // The leaderboard: each total is the member's own summary of what they share, most first.
  const shared: Record<string, string[]> = { ann: ['alpha', 'beta'], bob: ['alpha', 'delta'] }
  for (const viewer of ['ann', 'bob']) {
    const res = await as(viewer)('GET', `/v1/teams/${id}/leaderboard?range=last_7_days`)
    assert.equal(res.statusCode, 200, res.body)
    const board = res.json<Leaderboard>()
    assert.deepEqual(board.range, { name: 'last_7_days', text: 'Last 7 Days' })
    assert.deepEqual(
      board.data.map((e) => e.user.id),
      ['ann', 'bob'],
    )
    assert.deepEqual(
      board.data.map((e) => e.rank),
      [1, 2],
    )
    assert.equal(board.current_user.user?.id, viewer)
    assert.equal(board.current_user.rank, viewer === 'ann' ? 1 : 2)
    for (const entry of board.data) {
      const who = entry.user.id
      const own = await ownTotal(ctx, who, entry.range, shared[who] ?? [])
      assert.equal(entry.running_total.total_seconds, own, `${who}'s total`)
      assert.ok(own > 0)
      assert.equal(entry.running_total.daily_average, Math.floor(own / 7))
      for (const lang of entry.running_total.languages) {
        const ownLang = await ownTotal(ctx, who, entry.range, shared[who] ?? [], [lang.name])
        assert.equal(lang.total_seconds, ownLang, `${who}'s ${lang.name}`)
      }
    }
    // Overlap counted once: ann's 10:00-11:30, not 2 hours.
    assert.equal(board.data[0]?.running_total.total_seconds, 5400)
    assert.equal(board.data[1]?.running_total.total_seconds, 4500)
    assert.deepEqual(
      board.data[1]?.running_total.languages.map((l) => l.name),
      ['Rust', 'Python'],
    )
    // Never anything unshared, nor anyone uninvolved.
    for (const word of [
      'gammasecret',
      'cy',
      'dee',
      'Beta Secret',
      'bobfile',
      'bobtitle',
      'annlabel',
    ]) {
      assert.ok(!res.body.includes(word), `leaderboard shows ${word}: ${res.body}`)
    }
  }

  // The totals: details only of the project shared with them.
  const totalsRes = await bob('GET', `/v1/teams/${id}/totals?range=today`)
  assert.equal(totalsRes.statusCode, 200, totalsRes.body)
  const totals = totalsRes.json<Totals>()
  const annTotals = totals.members.find((m) => m.user === 'ann')
  const alpha = annTotals?.projects.find((p) => p.name === 'alpha')
  assert.deepEqual(
    alpha?.details?.entities.map((e) => e.name),
    ['alpha/main.rs'],
  )
  assert.deepEqual(alpha?.details?.labels, [{ name: 'annlabel', seconds: 1200 }])
  assert.equal(annTotals?.projects.find((p) => p.name === 'beta')?.details, undefined)
  for (const m of totals.members) {
    for (const p of m.projects) {
      assert.equal(p.seconds, await ownTotal(ctx, m.user, m.range, [p.name]), `${m.user} ${p.name}`)
    }
  }
  const rangeOf = (who: string) => {
    const m = totals.members.find((x) => x.user === who)
    assert.ok(m, `${who} in the totals`)
    return m.range
  }
  assert.equal(
    totals.projects.find((p) => p.name === 'alpha')?.seconds,
    (await ownTotal(ctx, 'ann', rangeOf('ann'), ['alpha'])) +
      (await ownTotal(ctx, 'bob', rangeOf('bob'), ['alpha'])),
    'alpha summed over ann and bob',
  )
  for (const word of [
    'gammasecret',
    'cyproject',
    'deeproject',
    'Beta Secret',
    'bobfile',
    'bobtitle',
  ]) {
    assert.ok(!totalsRes.body.includes(word), `totals show ${word}`)
  }

  // Details withdrawn: gone at once.
  await ann('PUT', `/v1/teams/${id}/shares`, { projects: [{ name: 'alpha' }, { name: 'beta' }] })
  const after = await bob('GET', `/v1/teams/${id}/totals?range=today`)
  assert.ok(!after.body.includes('alpha/main.rs') && !after.body.includes('annlabel'), after.body)

  // Cy accepts: on the board, sharing nothing.
  assert.equal((await cy('POST', `/v1/teams/${id}/accept`)).statusCode, 200)
  const withCy = (await cy('GET', `/v1/teams/${id}/leaderboard`)).json<Leaderboard>()
  assert.deepEqual(
    withCy.data.map((e) => [e.user.id, e.running_total.total_seconds]),
    [
      ['ann', 5400],
      ['bob', 4500],
      ['cy', 0],
    ],
  )
  assert.ok(!JSON.stringify(withCy).includes('cyproject'))

  // Leaving and removing: what they shared goes with them.
  const lastAdmin = await ann('DELETE', `/v1/teams/${id}/members/ann`)
  assert.equal(lastAdmin.statusCode, 409)
  assert.equal(lastAdmin.json<{ code: string }>().code, 'last_team_admin')
  const kicked = await bob('DELETE', `/v1/teams/${id}/members/cy`)
  assert.equal(kicked.json<{ code: string }>().code, 'not_team_admin')
  assert.deepEqual((await ann('DELETE', `/v1/teams/${id}/members/cy`)).json(), {
    ok: true,
    deleted: false,
  })
  assert.deepEqual((await bob('DELETE', `/v1/teams/${id}/members/bob`)).json(), {
    ok: true,
    deleted: false,
  })
  assert.equal((await bob('GET', `/v1/teams/${id}/leaderboard`)).statusCode, 404)
  const alone = (await ann('GET', `/v1/teams/${id}/leaderboard`)).json<Leaderboard>()
  assert.deepEqual(
    alone.data.map((e) => e.user.id),
    ['ann'],
  )
  // Bob invited again: he shares nothing of before.
  await ann('POST', `/v1/teams/${id}/members`, { user: 'bob' })
  await bob('POST', `/v1/teams/${id}/accept`)
  assert.deepEqual((await bob('GET', `/v1/teams/${id}/shares`)).json(), { projects: [] })

  // A removed user leaves every team.
  assert.equal((await ctx.call({ method: 'DELETE', url: '/v1/users/ann' })).statusCode, 200)
  const teamAfter = await bob('GET', `/v1/teams/${id}`)
  assert.deepEqual(
    teamAfter
      .json<{ members: { user: string; role: string }[] }>()
      .members.map((m) => [m.user, m.role]),
    [['bob', 'admin']],
  )
  assert.deepEqual((await bob('DELETE', `/v1/teams/${id}`)).json(), { ok: true })
  assert.equal((await bob('GET', `/v1/teams/${id}`)).statusCode, 404)
}

test('teams on SQLite: consent, shares, leaderboard exact against each summary, leaving', async (t) => {
  await walk(t)
})

test('teams on PostgreSQL: the same', { skip: missing }, async (t) => {
  await walk(t, await freshDatabase(t))
})

test('teams: bad input is a 400 with a stable code and changes nothing', async (t) => {
  const ctx = await setUp(t)
  const ann = ctx.as('ann')
  const made = await ann('POST', '/v1/teams', { name: 'Core' })
  const id = made.json<{ id: string }>().id
  // A body against its schema is a 422 (as on every route); a bad path, query or name a 400.
  const cases: [string, string, unknown, number, string][] = [
    ['POST', '/v1/teams', { name: '   ' }, 400, 'invalid_team_name'],
    ['POST', '/v1/teams', { name: 'x'.repeat(101) }, 422, 'invalid_body'],
    ['POST', '/v1/teams', { name: 'x', extra: 1 }, 422, 'invalid_body'],
    ['GET', '/v1/teams/not-a-uuid', undefined, 400, 'invalid_params'],
    ['GET', `/v1/teams/${id}/leaderboard?range=fortnight`, undefined, 400, 'invalid_range'],
    ['GET', `/v1/teams/${id}/totals?range=`, undefined, 400, 'invalid_range'],
    ['PUT', `/v1/teams/${id}/shares`, { projects: [{ name: '' }] }, 422, 'invalid_body'],
    ['PUT', `/v1/teams/${id}/shares`, { projects: 'alpha' }, 422, 'invalid_body'],
    [
      'PUT',
      `/v1/teams/${id}/shares`,
      { projects: [{ name: 'a', details: 'yes' }] },
      422,
      'invalid_body',
    ],
    ['POST', `/v1/teams/${id}/members`, { user: 'Bob' }, 422, 'invalid_body'],
    ['DELETE', `/v1/teams/${id}/members/NOT_A_NAME`, undefined, 400, 'invalid_params'],
  ]
  for (const [method, url, payload, status, code] of cases) {
    const res = await ann(method, url, payload)
    assert.equal(res.statusCode, status, `${method} ${url}: ${res.body}`)
    assert.equal(res.json<{ code: string }>().code, code, `${method} ${url}: ${res.body}`)
  }
  assert.deepEqual(
    (await ann('GET', '/v1/teams')).json<{ name: string }[]>().map((x) => x.name),
    ['Core'],
  )
  assert.deepEqual((await ann('GET', `/v1/teams/${id}/shares`)).json(), { projects: [] })
  assert.deepEqual(
    (await ann('GET', `/v1/teams/${id}`)).json<{ members: unknown[] }>().members.length,
    1,
  )
})
