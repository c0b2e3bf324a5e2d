/**
 * `npm run bench -- --hooks N`: N hook rules for the daemon to evaluate while the bench runs, of
 * every kind and with matches that hit the bench's data (apps, sites, projects, sources), each
 * acting on the stream only (no process or request leaves the machine).
 */
import http from 'node:http'

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
export function installHooks(port: number, token: string, n: number): Promise<void> {
  const body = JSON.stringify(benchRules(n))
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/hooks',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (text += c))
        res.on('end', () =>
          res.statusCode === 200
            ? resolve()
            : reject(new Error(`POST /v1/hooks: ${res.statusCode ?? 0} ${text}`)),
        )
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}
