/**
 * `daybook team` against a live daemon, as real processes, each user with their own token: make a
 * team, invite, accept, share (details per project), the leaderboard and totals, leave; refusals
 * in one line with their code, usage errors with exit code 2.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { eventInput } from '../helpers.ts'
import { request, runCli, startInProcess } from '../daemon.ts'

test('daybook team: create, invite, accept, share, leaderboard, totals, leave', async (t) => {
  const d = await startInProcess(t)
  const port = d.discovery.port ?? 0
  const admin = { authorization: `Bearer ${d.token}` }
  const tokens: Record<string, string> = {}
  const now = Date.now()
  for (const name of ['ann', 'bob']) {
    const added = await request(
      { port },
      { method: 'POST', path: '/v1/users', headers: admin, body: JSON.stringify({ name }) },
    )
    assert.equal(added.status, 201, added.body)
    const made = await request(
      { port },
      {
        method: 'POST',
        path: `/v1/users/${name}/tokens`,
        headers: admin,
        body: JSON.stringify({ name: 'cli', acl: 'admin', expiry: 'never' }),
      },
    )
    tokens[name] = (JSON.parse(made.body) as { token: string }).token
    // An hour ending ten minutes ago: within the last 7 days, wherever the day begins.
    const end = now - 10 * 60_000
    const start = end - (name === 'ann' ? 3600_000 : 1800_000)
    const written = await request(
      { port },
      {
        method: 'POST',
        path: '/v1/events',
        headers: { authorization: `Bearer ${tokens[name]}` },
        body: JSON.stringify([
          eventInput({
            timestamp: new Date(start).toISOString(),
            end_timestamp: new Date(end).toISOString(),
            duration: (end - start) / 1000,
            project_name: `${name}_project`,
            entity_name: `${name}_secret_file.rs`,
          }),
        ]),
      },
    )
    assert.equal(written.status, 200, written.body)
  }
  const as = (who: string, ...args: string[]) =>
    runCli(['team', ...args, '--data-dir', d.dataDir], { DAYBOOK_TOKEN: tokens[who] ?? '' }, t)

  const created = await as('ann', 'create', 'Core', '--json')
  assert.equal(created.code, 0, created.stderr)
  const id = (JSON.parse(created.stdout) as { id: string }).id
  assert.equal((await as('ann', 'invite', id, 'bob')).code, 0)
  const listed = await as('bob', 'list')
  assert.match(listed.stdout, new RegExp(`${id}\\s+Core\\s+member\\s+invited`))
  const early = await as('bob', 'leaderboard', id)
  assert.equal(early.code, 1)
  assert.match(early.stderr, /accept the invitation.*\(invitation_pending\)/)
  const accepted = await as('bob', 'accept', id)
  assert.equal(accepted.code, 0, accepted.stderr)
  assert.match(accepted.stdout, /You are in Core\. You share nothing yet/)

  const shared = await as('ann', 'share', id, '--details', 'ann_project')
  assert.equal(shared.code, 0, shared.stderr)
  assert.match(shared.stdout, /ann_project\s+totals and details/)
  assert.equal((await as('bob', 'share', id, 'bob_project')).code, 0)
  const mine = await as('bob', 'shares', id, '--json')
  assert.deepEqual(JSON.parse(mine.stdout), {
    projects: [{ name: 'bob_project', details: false }],
  })

  const board = await as('bob', 'leaderboard', id)
  assert.equal(board.code, 0, board.stderr)
  const rows = board.stdout.trim().split('\n')
  assert.match(rows[0] ?? '', /^RANK\s+USER\s+TOTAL/)
  assert.match(rows[1] ?? '', /^1\s+ann\s+1h\b/)
  assert.match(rows[2] ?? '', /^2\s+bob\s+30m\b/)
  const totals = await as('bob', 'totals', id, '--range', 'last_7_days', '--json')
  assert.equal(totals.code, 0, totals.stderr)
  assert.match(totals.stdout, /ann_secret_file\.rs/, "ann's details, shared")
  assert.doesNotMatch(totals.stdout, /bob_secret_file/, "bob's titles, not shared")

  const usage = await as('bob', 'invite', id)
  assert.equal(usage.code, 2)
  assert.match(usage.stderr, /invite needs ID USER/)
  const misplaced = await as('bob', 'list', '--range', 'today')
  assert.equal(misplaced.code, 2)
  const notAdmin = await as('bob', 'remove', id, 'ann')
  assert.equal(notAdmin.code, 1)
  assert.match(notAdmin.stderr, /\(not_team_admin\)/)

  const left = await as('bob', 'leave', id)
  assert.equal(left.code, 0, left.stderr)
  assert.match(left.stdout, /You left the team/)
  const gone = await as('ann', 'leave', id)
  assert.match(gone.stdout, /the team is gone/)
  assert.match((await as('ann', 'list')).stdout, /You are in no team/)
})
