/**
 * The web UI's canonical desktop query (what ActivityWatch's Activity view sends: window events
 * flooded, AFK-filtered, browser tabs intersected with the browser's window time, audible tabs
 * counted as active, categorized, merged by app, title and category) on a recorded set of window,
 * AFK and web events. The expected answer was worked out by hand, step by step, from
 * aw-server-rust's transforms (see the comments); the body is compared byte for byte where the
 * Rust server's format matters (sorted keys, floats).
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startAw } from './helpers.ts'

const NOW = Date.parse('2025-09-12T00:00:00Z')
const json = { 'content-type': 'application/json' }

/** The statements as the web UI's `fullDesktopQuery` sends them (one browser, two categories). */
const CANONICAL_QUERY = [
  'events = flood(query_bucket("aw-watcher-window_host"));',
  'not_afk = flood(query_bucket("aw-watcher-afk_host"));\n         not_afk = filter_keyvals(not_afk, "status", ["not-afk"]);',
  'browser_events = [];',
  'events_firefox = flood(query_bucket("aw-watcher-web-firefox_host"));',
  'window_firefox = filter_keyvals(events, "app", ["org.mozilla.firefox","io.gitlab.librewolf-community","net.waterfox.waterfox"]);',
  'window_firefox_re = filter_keyvals_regex(events, "app", "(?i)(firefox|librewolf|waterfox|nightly)");',
  'window_firefox = sort_by_timestamp(concat(window_firefox, window_firefox_re));',
  'events_firefox = filter_period_intersect(events_firefox, window_firefox);',
  'events_firefox = split_url_events(events_firefox);',
  'browser_events = concat(browser_events, events_firefox);',
  'browser_events = sort_by_timestamp(browser_events);',
  'audible_events = filter_keyvals(browser_events, "audible", [true]);\n             not_afk = period_union(not_afk, audible_events);',
  'events = filter_period_intersect(events, not_afk);',
  'stopwatch_events = [];',
  'events = categorize(events, [[["Work"],{"type":"regex","regex":"Code|zsh"}],[["Work","Docs"],{"type":"regex","regex":"docs","ignore_case":true}]]);',
  'title_events = sort_by_duration(merge_events_by_keys(events, ["app", "title"]));',
  'app_events   = sort_by_duration(merge_events_by_keys(title_events, ["app"]));',
  'cat_events   = sort_by_duration(merge_events_by_keys(events, ["$category"]));',
  'app_events  = limit_events(app_events, 100);',
  'title_events  = limit_events(title_events, 100);',
  'duration = sum_durations(events);',
  'browser_events = split_url_events(browser_events);',
  'browser_urls = merge_events_by_keys(browser_events, ["url"]);',
  'browser_urls = sort_by_duration(browser_urls);',
  'browser_urls = limit_events(browser_urls, 100);',
  'browser_domains = merge_events_by_keys(browser_events, ["$domain"]);',
  'browser_domains = sort_by_duration(browser_domains);',
  'browser_domains = limit_events(browser_domains, 100);',
  'browser_titles = merge_events_by_keys(browser_events, ["title"]);',
  'browser_titles = sort_by_duration(browser_titles);',
  'browser_titles = limit_events(browser_titles, 100);',
  'browser_duration = sum_durations(browser_events);',
  'stopwatch_events = merge_events_by_keys(stopwatch_events, ["label"]);',
  'stopwatch_events = sort_by_duration(stopwatch_events);',
  'stopwatch_events = limit_events(stopwatch_events, 100);',
  `RETURN = {
        "window": {
            "app_events": app_events,
            "title_events": title_events,
            "cat_events": cat_events,
            "active_events": not_afk,
            "duration": duration
        },
        "browser": {
            "domains": browser_domains,
            "urls": browser_urls,
            "titles": browser_titles,
            "duration": browser_duration
        },
        "stopwatch": {
            "stopwatch_events": stopwatch_events
        }
    };`,
]

const ev = (timestamp: string, duration: number, data: Record<string, unknown>) => ({
  timestamp: `2025-09-11T${timestamp}Z`,
  duration,
  data,
})

/** The recording: ids 1–5 window, 6–8 AFK, 9–10 web (inserted in this order). */
const RECORDED = {
  'aw-watcher-window_host': {
    type: 'currentwindow',
    events: [
      ev('09:00:00', 600, { app: 'Code', title: 'main.ts' }),
      ev('09:10:02', 298, { app: 'Firefox', title: 'Docs' }),
      ev('09:15:00', 300, { app: 'Code', title: 'main.ts' }),
      ev('09:20:03', 100, { app: 'Code', title: 'main.ts' }),
      ev('10:00:00', 60, { app: 'Terminal', title: 'zsh' }),
    ],
  },
  'aw-watcher-afk_host': {
    type: 'afkstatus',
    events: [
      ev('08:59:00', 1140, { status: 'not-afk' }),
      ev('09:18:00', 600, { status: 'afk' }),
      ev('09:28:00', 3600, { status: 'not-afk' }),
    ],
  },
  'aw-watcher-web-firefox_host': {
    type: 'web.tab.current',
    events: [
      ev('09:10:00', 180, {
        url: 'https://www.example.com/a?x=1',
        title: 'A',
        audible: false,
        incognito: false,
        tabCount: 2,
      }),
      ev('09:13:00', 150, {
        url: 'https://docs.example.org/b',
        title: 'B',
        audible: true,
        incognito: false,
        tabCount: 2,
      }),
    ],
  },
}

const out = (
  timestamp: string,
  duration: number,
  data: Record<string, unknown>,
  id: number | null = null,
) => ({
  data,
  duration,
  id,
  timestamp: `2025-09-11T${timestamp}Z`,
})

/*
 * By hand, following aw-server-rust:
 * flood(window): 09:10:00→09:10:02 is a 2 s gap between different data: each side takes 1 s
 *   (Code 09:00:00 601 s, Firefox 09:10:01 299 s); Code 09:15:00 and Code 09:20:03 (3 s apart,
 *   equal data) merge into 09:15:00 403 s (id 3); Terminal 10:00:00 60 s.
 * not_afk: 08:59:00–09:18:00 (id 6) and 09:28:00–10:28:00 (id 8).
 * Firefox tabs ∩ Firefox window (09:10:01–09:15:00): A 09:10:01 179 s, B 09:13:00 120 s.
 * B is audible: its period joins not_afk (already inside 08:59–09:18), data cleared.
 * window ∩ not_afk: Code 601, Firefox 299, Code 09:15:00–09:18:00 180 s, Terminal 60.
 * Categories: Code and zsh → Work; "Docs" (ignore case) → Work > Docs, the deeper one.
 * By app and title: Code 781 (first at 09:00:00), Firefox 299, Terminal 60; by category:
 * Work 841, Work > Docs 299. Active window time 1140 s; browser time 299 s.
 */
const code = { $category: ['Work'], app: 'Code', title: 'main.ts' }
const firefox = { $category: ['Work', 'Docs'], app: 'Firefox', title: 'Docs' }
const terminal = { $category: ['Work'], app: 'Terminal', title: 'zsh' }
const tabA = {
  $domain: 'example.com',
  $params: 'x=1',
  $path: '/a',
  $protocol: 'https',
  audible: false,
  incognito: false,
  tabCount: 2,
  title: 'A',
  url: 'https://www.example.com/a?x=1',
}
const tabB = {
  $domain: 'docs.example.org',
  $params: '',
  $path: '/b',
  $protocol: 'https',
  audible: true,
  incognito: false,
  tabCount: 2,
  title: 'B',
  url: 'https://docs.example.org/b',
}
const byApp = [
  out('09:00:00', 781, code),
  out('09:10:01', 299, firefox),
  out('10:00:00', 60, terminal),
]
const tabs = [out('09:10:01', 179, tabA), out('09:13:00', 120, tabB)]
const EXPECTED = {
  browser: { domains: tabs, duration: 299, titles: tabs, urls: tabs },
  stopwatch: { stopwatch_events: [] },
  window: {
    active_events: [out('08:59:00', 1140, {}, 6), out('09:28:00', 3600, {}, 8)],
    app_events: byApp,
    cat_events: [out('09:00:00', 841, code), out('09:10:01', 299, firefox)],
    duration: 1140,
    title_events: byApp,
  },
}

test('the web UI canonical query answers as aw-server-rust on a recorded day', async (t) => {
  const s = await startAw(t, { now: NOW })
  for (const [id, { type, events }] of Object.entries(RECORDED)) {
    await s.anon({
      method: 'POST',
      url: `/api/0/buckets/${id}`,
      headers: json,
      payload: JSON.stringify({ client: 'test', type, hostname: 'host' }),
    })
    const res = await s.anon({
      method: 'POST',
      url: `/api/0/buckets/${id}/events`,
      headers: json,
      payload: JSON.stringify(events),
    })
    assert.equal(res.statusCode, 200, res.body)
  }
  const res = await s.admin({
    method: 'POST',
    url: '/api/0/query/',
    headers: json,
    payload: JSON.stringify({
      query: CANONICAL_QUERY,
      timeperiods: [
        '2025-09-11T00:00:00+00:00/2025-09-12T00:00:00+00:00',
        '2025-09-12T00:00:00+00:00/2025-09-13T00:00:00+00:00',
      ],
    }),
  })
  assert.equal(res.statusCode, 200, res.body)
  const [day, nextDay] = res.json()
  assert.deepEqual(day, EXPECTED)
  // Rust's serialisation: keys sorted at every level, durations as floats, ids integers or null.
  assert.ok(
    res.body.startsWith('[{"browser":{"domains":[{"data":{"$domain":"example.com","$params":"x=1"'),
    res.body.slice(0, 120),
  )
  assert.ok(res.body.includes('"duration":1140.0,"title_events"'))
  assert.ok(
    res.body.includes('{"data":{},"duration":1140.0,"id":6,"timestamp":"2025-09-11T08:59:00Z"}'),
  )
  // The next day has no events: empty lists and zero durations, one result per period.
  assert.deepEqual(nextDay.window, {
    active_events: [],
    app_events: [],
    cat_events: [],
    duration: 0,
    title_events: [],
  })
})
