/**
 * `npm run bench -- --hooks N`: N hook rules for the daemon to evaluate while the bench runs, of
 * every kind and with matches that hit the bench's data (apps, sites, projects, sources), each
 * acting on the stream only (no process or request leaves the machine).
 */
/** The N rules: the kinds in turn, thresholds spread so that some cross and some do not. */
export function benchRules(n: number): unknown[] {
  const kinds = [
    (i: number) => ({ kind: 'activity', match: { app: ['code', 'zed'] }, minutes: 20 + i }),
    (i: number) => ({
      kind: 'budget',
      match: { url: 'site(1|2)[0-9]\\.example' },
      minutes: 30 + i,
    }),
    (i: number) => ({ kind: 'no_break', match: {}, minutes: 40 + i, breakMinutes: 5 }),
    (i: number) => ({ kind: 'back_from_afk', match: {}, minutes: 10 + i }),
    (i: number) => ({ kind: 'project_switch', match: { project: '^project-0' }, minutes: 10 + i }),
    (i: number) => ({
      kind: 'silent_collector',
      match: { source: ['bench', 'daybook'] },
      minutes: 30 + i,
    }),
    () => ({ kind: 'label', match: { text: ['focus'] } }),
  ]
  return Array.from({ length: n }, (_, i) => ({
    id: `bench-${i + 1}`,
    when: (kinds[i % kinds.length] as (i: number) => unknown)(i),
    then: [{ kind: 'stream' }],
  }))
}

/** Installs `n` rules on the daemon at `port` (`POST /v1/hooks`). */
export async function installHooks(port: number, token: string, n: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/hooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(benchRules(n)),
  })
  if (res.status !== 200) throw new Error(`POST /v1/hooks: ${res.status} ${await res.text()}`)
}
