/**
 * The session: a token in `sessionStorage` (gone when the tab closes), obtained by exchanging the
 * one-time code of `daybook open`'s URL, or pasted.
 */
const KEY = 'daybook.session'

export interface StoredSession {
  token: string
  /** `data`, `admin`, or `unknown` for a pasted token. */
  scope: string
  expiresAt: string | null
}

export function loadSession(): StoredSession | undefined {
  const raw = sessionStorage.getItem(KEY)
  if (raw === null) return undefined
  try {
    const s = JSON.parse(raw) as StoredSession
    if (typeof s.token !== 'string' || s.token === '') return undefined
    if (s.expiresAt !== null && Date.parse(s.expiresAt) <= Date.now()) {
      sessionStorage.removeItem(KEY)
      return undefined
    }
    return s
  } catch {
    sessionStorage.removeItem(KEY)
    return undefined
  }
}

export function saveSession(s: StoredSession): void {
  sessionStorage.setItem(KEY, JSON.stringify(s))
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY)
}

/**
 * The sign-in code in the address (`#code=…`), removed from the address bar at once so it is
 * neither kept in history nor shown.
 */
export function takeCodeFromHash(): string | undefined {
  const hash = location.hash.replace(/^#/, '')
  const params = new URLSearchParams(hash.startsWith('/') ? '' : hash)
  const code = params.get('code')
  if (code === null) return undefined
  history.replaceState(null, '', `${location.pathname}${location.search}`)
  return code
}
