/**
 * Editor and operating system from a WakaTime user agent, read the way Wakapi reads them, so a
 * heartbeat is attributed to the same editor on both servers.
 *
 * `wakatime-cli` sends `wakatime/<ver> (<os>-<kernel>-<arch>) <runtime> <editor>/<ver>
 * <plugin>-wakatime/<ver>`; browser extensions send `Chrome/<ver> <os>_<arch> chrome-wakatime/<ver>`.
 * The editor is the first `name/version` token that is not the CLI, a language runtime or a
 * middleware; an AI harness (`claude-code`, `codex-cli`) wins over the editor it runs in, and a
 * `<x>-wakatime` plugin names the editor when nothing else does.
 */

export interface ParsedUserAgent {
  /** `Linux`, `macOS`, `Windows`, `WSL`…; '' when the agent does not say. */
  os: string
  /** As the agent spells it (`vscode`, `GoLand`, `chrome`); '' when it names none. */
  editor: string
  /** The AI model of an AI coding session (`opus`, `gpt`), else ''. */
  aiModel: string
}

const MIDDLEWARES = new Set(['wakatime-ls', 'wakatime-cli'])

/** AI tools that identify themselves in the agent (wakatime-cli's parsers and harness tokens). */
const AI_TOOLS = new Set(
  (
    'claude claude-code chatgpt copilot github-copilot-cli codex codex-cli continue cody roo-code ' +
    'roocode opencode opencode-cli cursor cursor-agent cursor-agent-cli windsurf qoder kiro cline ' +
    'cline-cli qwen-code qwen-code-cli pi goose amp grok-build codebuff codebuff-cli codewhale ' +
    'codewhale-cli crush crush-cli devin droid droid-cli forge forge-cli hermes ibm-bob ibm-bob-cli ' +
    'kilo-code kilo-code-cli kimi-code kimi-code-cli lingtai-tui mistral-vibe mistral-vibe-cli mux ' +
    'omp omp-cli openclaw openclaw-cli open-design quickdesk warp zcode zed zerostack'
  ).split(' '),
)

const KNOWN_OS = new Set(['linux', 'windows', 'macos', 'darwin', 'win', 'mac', 'wsl'])

function isAiHarness(lower: string): boolean {
  return (
    lower.endsWith('-cli') ||
    lower.endsWith('-tui') ||
    lower.startsWith('antigravity-') ||
    lower.startsWith('codex-') ||
    AI_TOOLS.has(lower)
  )
}

function isRuntime(lower: string): boolean {
  if (lower === 'python' || lower === 'go') return true
  if (/^python\d/.test(lower)) return true
  return /^go\d/.test(lower)
}

/** `name/version` tokens after the first, minus the CLI, middlewares and runtimes. */
function candidates(parts: readonly string[]): string[] {
  const out: string[] = []
  for (const p of parts.slice(1)) {
    if (!p.includes('/')) continue
    const lower = (p.split('/')[0] as string).toLowerCase()
    if (lower === 'wakatime' || MIDDLEWARES.has(lower) || isRuntime(lower)) continue
    if (lower.endsWith('-wakatime')) continue
    out.push(p)
  }
  return out
}

/** The model token an AI session puts before its harness (`opus/4.1 claude-code/2.1`), else ''. */
function aiModelOf(parts: readonly string[]): string {
  const found = candidates(parts)
  if (found.length < 2) return ''
  const name = (found[0] as string).split('/')[0] as string
  return isAiHarness(name.toLowerCase()) ? '' : name
}

function editorOf(parts: readonly string[], aiModel: string): string {
  let primary = ''
  let plugin = ''
  let harness = ''
  for (const p of parts.slice(1)) {
    if (!p.includes('/')) continue
    const name = p.split('/')[0] as string
    const lower = name.toLowerCase()
    if (lower === 'wakatime' || MIDDLEWARES.has(lower) || isRuntime(lower)) continue
    if (lower.endsWith('-wakatime')) {
      const editor = name.slice(0, -'-wakatime'.length)
      // `windows-wakatime` (desktop-wakatime) names an OS, not an editor.
      if (!KNOWN_OS.has(editor.toLowerCase())) plugin = editor
      continue
    }
    if (aiModel !== '' && lower === aiModel.toLowerCase()) continue
    if (isAiHarness(lower)) {
      if (harness === '') harness = name
      continue
    }
    if (primary === '') primary = name
  }
  return harness || primary || plugin
}

/** The OS token of a CLI agent (`(linux-6.6.4-x86_64)`) or a browser's (`linux_x86-64`). */
function osToken(parts: readonly string[]): string {
  const part = parts[1]
  if (part === undefined) return ''
  if (part.startsWith('(')) {
    const inner = (part.slice(1).split(')')[0] as string).split(' ')[0] as string
    return (inner.split('-')[0] as string).split('_')[0] as string
  }
  if (part.includes('-') || part.includes('_')) {
    const candidate = (part.split('-')[0] as string).split('_')[0] as string
    if (KNOWN_OS.has(candidate.toLowerCase())) return candidate
  }
  return ''
}

/** Daybook's name of an operating system token: `darwin`/`mac` → macOS, `win` → Windows. */
export function osName(token: string): string {
  const lower = token.toLowerCase()
  if (lower === '') return ''
  if (lower === 'darwin' || lower === 'mac' || lower === 'macos') return 'macOS'
  if (lower === 'win' || lower === 'windows' || lower === 'windows_nt') return 'Windows'
  if (lower === 'wsl') return 'WSL'
  return lower.charAt(0).toUpperCase() + lower.slice(1)
}

/**
 * Parses a user agent; undefined when it names nothing usable (empty, or a CLI agent without its
 * OS group, which Wakapi also rejects).
 */
export function parseUserAgent(raw: string): ParsedUserAgent | undefined {
  const ua = raw.trim()
  if (ua === '') return undefined
  const parts = ua.split(/\s+/)
  const first = (parts[0] as string).toLowerCase()
  if (
    parts.length >= 2 &&
    ['wakatime/', 'chrome/', 'firefox/', 'edge/'].some((p) => first.startsWith(p))
  ) {
    const aiModel = aiModelOf(parts)
    let editor = editorOf(parts, aiModel)
    if (editor === 'KTextEditor') editor = 'kate'
    if (editor === 'claude-code') editor = 'Claude'
    const token = osToken(parts)
    if (token === '' && first.startsWith('wakatime/')) return undefined
    const os = ua.includes('-WSL2-') ? 'WSL' : osName(token)
    return { os, editor, aiModel }
  }
  return browserAgent(ua)
}

/**
 * A browser's or an unknown tool's agent: `Mozilla/5.0 (Windows NT 10.0…) … Edg/116…` → Edge on
 * Windows; `HBuilder X/4.56 (Windows_NT 10.0)` → HBuilder X on Windows.
 */
function browserAgent(ua: string): ParsedUserAgent | undefined {
  const os = /windows/i.test(ua)
    ? 'Windows'
    : /iphone|ipad/i.test(ua)
      ? 'iOS'
      : /mac os x|macintosh/i.test(ua)
        ? 'macOS'
        : /android/i.test(ua)
          ? 'Android'
          : /linux/i.test(ua)
            ? 'Linux'
            : ''
  if (ua.startsWith('Mozilla/')) {
    const browsers: [RegExp, string][] = [
      [/\bEdg(e|A|iOS)?\//, 'Edge'],
      [/\bOPR\//, 'Opera'],
      [/\bFirefox\//, 'Firefox'],
      [/\bChrom(e|ium)\//, 'Chrome'],
      [/\bSafari\//, 'Safari'],
    ]
    const found = browsers.find(([re]) => re.test(ua))
    return found ? { os, editor: found[1], aiModel: '' } : undefined
  }
  const name = /^([^/()]+?)\s*\/\s*\S/.exec(ua)?.[1]?.trim()
  return name ? { os, editor: name, aiModel: '' } : undefined
}

/** Display names of editors whose plugins spell them in lower case or as a code name. */
const EDITOR_NAMES: Readonly<Record<string, string>> = {
  vscode: 'VS Code',
  code: 'VS Code',
  vscodium: 'VSCodium',
  cursor: 'Cursor',
  windsurf: 'Windsurf',
  vim: 'Vim',
  neovim: 'Neovim',
  nvim: 'Neovim',
  emacs: 'Emacs',
  sublime: 'Sublime Text',
  'sublime-text': 'Sublime Text',
  atom: 'Atom',
  zed: 'Zed',
  helix: 'Helix',
  kate: 'Kate',
  intellij: 'IntelliJ IDEA',
  'intellij-idea': 'IntelliJ IDEA',
  idea: 'IntelliJ IDEA',
  pycharm: 'PyCharm',
  goland: 'GoLand',
  webstorm: 'WebStorm',
  phpstorm: 'PhpStorm',
  rider: 'Rider',
  clion: 'CLion',
  rubymine: 'RubyMine',
  datagrip: 'DataGrip',
  'android-studio': 'Android Studio',
  androidstudio: 'Android Studio',
  xcode: 'Xcode',
  eclipse: 'Eclipse',
  netbeans: 'NetBeans',
  notepadpp: 'Notepad++',
  'visual-studio': 'Visual Studio',
  visualstudio: 'Visual Studio',
  jupyter: 'Jupyter',
  jupyterlab: 'JupyterLab',
  obsidian: 'Obsidian',
  chrome: 'Chrome',
  firefox: 'Firefox',
  edge: 'Edge',
  claude: 'Claude',
  'codex-cli': 'Codex CLI',
}

/** The editor as a source-name part: lower case, `+` as p (Notepad++ → notepadpp), other runs as `-`. */
export function editorSlug(editor: string): string {
  const slug = editor
    .toLowerCase()
    .replace(/\+/g, 'p')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
  return slug === '' ? 'unknown' : slug
}

/** The source of the events a WakaTime editor's heartbeats become: `wakatime-vscode`. */
export function editorSource(editor: string): string {
  return `wakatime-${editorSlug(editor)}`
}

/** True for the sources `editorSource` makes. */
export function isWakatimeSource(source: string): boolean {
  return source.startsWith('wakatime-')
}

/**
 * The name people know an editor by, from its slug (`vscode` → VS Code); an editor not in the
 * table keeps its slug with a capital first letter (`skype` → Skype).
 */
export function editorDisplayName(slug: string): string {
  const known = EDITOR_NAMES[slug]
  if (known) return known
  if (slug === 'unknown') return 'Unknown Editor'
  return slug.charAt(0).toUpperCase() + slug.slice(1)
}
