/**
 * ActivityWatch watchers' data in Daybook's one timeline: a simulated morning of aw-watcher-window,
 * aw-watcher-afk and aw-watcher-web heartbeats (their cadences, pulsetimes, client pre-merging and
 * the AFK watcher's double heartbeat) whose Daybook summary equals the total worked out by hand;
 * then what happens to the timeline when AW events are replaced or deleted, and incognito tabs.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { ActivityEvent } from '../../../src/domain/events.ts'
import { type AwTestApp, startAw } from './helpers.ts'
import {
  type Heartbeat,
  QueuedClient,
  afkWatcher,
  webWatcher,
  windowWatcher,
  wire,
} from './watchers.ts'

const NOW = Date.parse('2025-09-12T00:00:00Z')
const at = (hms: string) => Date.parse(`2025-09-11T${hms}Z`)
const json = { 'content-type': 'application/json' }
const DAY = 'start=2025-09-11T00:00:00Z&end=2025-09-12T00:00:00Z'

async function createBucket(
  s: AwTestApp,
  id: string,
  type: string,
  client: string,
  hostname: string,
) {
  const res = await s.anon({
    method: 'POST',
    url: `/api/0/buckets/${id}`,
    headers: json,
    payload: JSON.stringify({ client, type, hostname }),
  })
  assert.ok(res.statusCode === 200 || res.statusCode === 304, res.body)
}

function sender(s: AwTestApp) {
  return async (bucket: string, pulsetime: number, e: Heartbeat) => {
    const res = await s.anon({
      method: 'POST',
      url: `/api/0/buckets/${bucket}/heartbeat?pulsetime=${pulsetime}`,
      headers: json,
      payload: JSON.stringify(wire(e)),
    })
    assert.equal(res.statusCode, 200, res.body)
  }
}

async function total(s: AwTestApp, extra = ''): Promise<unknown> {
  const res = await s.main.call({ method: 'GET', url: `/v1/summary/total?${DAY}${extra}` })
  assert.equal(res.statusCode, 200, res.body)
  return res.json()
}

async function timelineEvents(s: AwTestApp, source: string): Promise<ActivityEvent[]> {
  const page = await s.main.app.daybook.store.events.list({
    range: {},
    filters: { source: [source] },
    limit: 1000,
  })
  return page.events
}

describe('ActivityWatch data in the timeline', () => {
  test('a simulated morning of the standard watchers sums to the hand-computed total', async (t) => {
    const s = await startAw(t, { now: NOW })
    const host = 'desk'
    await createBucket(s, `aw-watcher-window_${host}`, 'currentwindow', 'aw-watcher-window', host)
    await createBucket(s, `aw-watcher-afk_${host}`, 'afkstatus', 'aw-watcher-afk', host)
    await createBucket(
      s,
      `aw-watcher-web-firefox_${host}`,
      'web.tab.current',
      'aw-client-web',
      host,
    )
    const send = sender(s)

    // 09:00–09:30 editor window, 09:30–10:00 Firefox, 10:00–11:00 a terminal (still focused while
    // the person is away). Input every second, except away 10:10–10:30 and from 10:40 on.
    const windowAt = (ms: number) =>
      ms < at('09:30:00')
        ? { app: 'Code', title: 'main.ts - daybook' }
        : ms < at('10:00:00')
          ? { app: 'Firefox', title: 'Docs' }
          : { app: 'Terminal', title: 'zsh' }
    const lastInputAt = (ms: number) =>
      ms < at('10:10:00')
        ? ms
        : ms < at('10:30:00')
          ? at('10:10:00')
          : ms < at('10:40:00')
            ? ms
            : at('10:40:00')
    await windowWatcher(
      new QueuedClient(send),
      `aw-watcher-window_${host}`,
      at('09:00:00'),
      at('11:00:00'),
      windowAt,
    )
    await afkWatcher(
      new QueuedClient(send),
      `aw-watcher-afk_${host}`,
      at('09:00:00'),
      at('11:00:00'),
      lastInputAt,
    )
    await webWatcher(send, `aw-watcher-web-firefox_${host}`, [
      {
        at: at('09:30:00'),
        until: at('09:45:00'),
        url: 'https://docs.example.org/guide?q=secret',
        title: 'Guide',
      },
      {
        at: at('09:45:00'),
        until: at('10:00:00'),
        url: 'https://www.news.example.com/today',
        title: 'News',
      },
    ])

    // By hand. Window coverage 09:00:00 → 11:00:00, less one second at each window change (the
    // queued client ends the old window at the previous poll, and nothing floods the gap): 2 s.
    // AFK: from the last input to the first one back, 10:10:00 → 10:30:00, and 10:40:00 → 11:00.
    // 7200 − 2 − 1200 − 1200 = 4798 s. Browser events (higher priority) own 09:30:00 → 09:59:00
    // (tab A until its close at 09:44:59.999, tab B from 09:45:00 to its last alarm): 1740 s.
    assert.equal(await total(s), 4798)
    const bySource = await s.main.call({
      method: 'GET',
      url: `/v1/summary/buckets?preset[custom][start]=2025-09-11T00:00:00Z&preset[custom][end]=2025-09-12T00:00:00Z&preset[custom][bucket]=day&tz=UTC&groupBy=source`,
    })
    assert.deepEqual(
      bySource.json().map((r: { groupedValues: Record<string, number> }) => r.groupedValues),
      [{ 'aw-watcher-web': 1740 }, { 'aw-watcher-window': 3058 }],
    )
    // Heartbeats extended events rather than adding them: one timeline event per window stretch,
    // one per tab, on the host's device; domains without www., URLs without their query.
    const windows = await timelineEvents(s, 'aw-watcher-window')
    assert.deepEqual(
      windows.map((e) => [e.app, e.entity, e.device, e.entityType]),
      [
        ['Code', 'main.ts - daybook', host, 'App'],
        ['Firefox', 'Docs', host, 'App'],
        ['Terminal', 'zsh', host, 'App'],
      ],
    )
    const web = await timelineEvents(s, 'aw-watcher-web')
    assert.deepEqual(
      web.map((e) => [e.app, e.project, e.entity, e.category]),
      [
        ['Firefox', 'docs.example.org', 'https://docs.example.org/guide', 'Browsing'],
        ['Firefox', 'news.example.com', 'https://www.news.example.com/today', 'Browsing'],
      ],
    )
    // The AW view is untouched: three window events, as aw-server-rust would hold them.
    const count = await s.admin({
      method: 'GET',
      url: `/api/0/buckets/aw-watcher-window_${host}/events/count`,
    })
    assert.equal(count.body, '3')
  })

  test('replacing or deleting an AW event changes its timeline event; an import counts once', async (t) => {
    const s = await startAw(t, { now: NOW })
    await createBucket(s, 'aw-watcher-window_lap', 'currentwindow', 'aw-watcher-window', 'lap')
    const post = (payload: unknown) =>
      s.admin({
        method: 'POST',
        url: '/api/0/buckets/aw-watcher-window_lap/events',
        headers: json,
        payload: JSON.stringify(payload),
      })
    const [a, b] = (
      await post([
        { timestamp: '2025-09-11T08:00:00Z', duration: 600, data: { app: 'Mail', title: 'Inbox' } },
        { timestamp: '2025-09-11T09:00:00Z', duration: 300, data: { app: 'Chat', title: 'Team' } },
      ])
    ).json()
    assert.equal(await total(s), 900)
    // Same start and names, a later end: the timeline event is extended.
    await post([{ ...a, duration: 900 }])
    assert.equal(await total(s), 1200)
    // New data: the old timeline event goes, the new one comes.
    await post([{ ...a, data: { app: 'Mail', title: 'Drafts' } }])
    assert.deepEqual(
      (await timelineEvents(s, 'aw-watcher-window')).map((e) => e.entity),
      ['Drafts', 'Team'],
    )
    assert.equal(await total(s), 600 + 300)
    await s.admin({ method: 'DELETE', url: `/api/0/buckets/aw-watcher-window_lap/events/${b.id}` })
    assert.equal(await total(s), 600)
    // Importing the bucket's own export adds nothing, in either view.
    const exported = await s.admin({ method: 'GET', url: '/api/0/export' })
    await s.admin({ method: 'POST', url: '/api/0/import', headers: json, payload: exported.body })
    assert.equal(await total(s), 600)
    // Deleting the bucket takes its time out of the timeline.
    await s.admin({ method: 'DELETE', url: '/api/0/buckets/aw-watcher-window_lap?force=1' })
    assert.equal(await total(s), 0)
  })

  test('incognito tabs are redacted before they are stored; editor activity is coding time', async (t) => {
    const s = await startAw(t, { now: NOW })
    await createBucket(s, 'aw-watcher-web-chrome_lap', 'web.tab.current', 'aw-client-web', 'lap')
    await createBucket(
      s,
      'aw-watcher-vscode_lap',
      'app.editor.activity',
      'aw-watcher-vscode',
      'lap',
    )
    const send = sender(s)
    await send('aw-watcher-web-chrome_lap', 80, {
      timestamp: at('12:00:00'),
      duration: 60_000,
      data: {
        url: 'https://private.example/secret',
        title: 'Secret',
        audible: false,
        incognito: true,
        tabCount: 1,
      },
    })
    const stored = await s.admin({
      method: 'GET',
      url: '/api/0/buckets/aw-watcher-web-chrome_lap/events',
    })
    assert.deepEqual(stored.json()[0].data, {
      audible: false,
      incognito: true,
      tabCount: 1,
      title: '(incognito)',
      url: '(incognito)',
    })
    const [tab] = await timelineEvents(s, 'aw-watcher-web')
    assert.deepEqual(
      [tab?.app, tab?.project, tab?.entity],
      ['Chrome', '(incognito)', '(incognito)'],
    )
    await send('aw-watcher-vscode_lap', 20, {
      timestamp: at('12:00:30'),
      duration: 120_000,
      data: {
        language: 'typescript',
        project: '/home/me/daybook',
        file: '/home/me/daybook/src/x.ts',
        branch: 'main',
      },
    })
    const [edit] = await timelineEvents(s, 'aw-watcher-editor')
    assert.deepEqual(
      [
        edit?.app,
        edit?.project,
        edit?.projectPath,
        edit?.entity,
        edit?.language,
        edit?.branch,
        edit?.category,
      ],
      [
        'vscode',
        'daybook',
        '/home/me/daybook',
        '/home/me/daybook/src/x.ts',
        'typescript',
        'main',
        'Coding',
      ],
    )
    // The editor outranks the browser where they overlap: 30 s browser, then 120 s editor.
    const bySource = await s.main.call({
      method: 'GET',
      url: `/v1/summary/buckets?preset[custom][start]=2025-09-11T00:00:00Z&preset[custom][end]=2025-09-12T00:00:00Z&preset[custom][bucket]=day&tz=UTC&groupBy=source`,
    })
    assert.deepEqual(
      bySource.json().map((r: { groupedValues: Record<string, number> }) => r.groupedValues),
      [{ 'aw-watcher-editor': 120 }, { 'aw-watcher-web': 30 }],
    )
  })
})
