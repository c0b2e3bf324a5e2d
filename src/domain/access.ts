/**
 * Who may call what. Every route declares one access class next to its definition; every token
 * has one scope; this table is the single place that says which scopes reach which classes.
 */

/** Token scopes, as the wire names them. */
export const SCOPES = ['admin', 'read_only', 'data', 'stream', 'ingest', 'sync'] as const
export type Scope = (typeof SCOPES)[number]

/**
 * Scopes a token can be created with (`daybook token create`). A `sync` token is bound to a
 * device and is only ever made by pairing it with a hub (`daybook pair`, `daybook sync join`).
 */
export const TOKEN_SCOPES = ['admin', 'read_only', 'data', 'stream', 'ingest'] as const

/**
 * Access classes a route can declare:
 * - `public`: no token at all (health probes);
 * - `any`: any valid token (API description, version);
 * - `read`: reading activity history and settings;
 * - `analysis`: POST routes that compute over history (analysis, search, labels);
 * - `stream`: live streams and daemon status;
 * - `statusbar`: today's totals as an editor's status bar shows them (WakaTime's
 *   `statusbar/today`): the one read an ingest key may make, so a plugin can show the time it
 *   records without being able to read your history;
 * - `ingest`: the write routes collectors use (events, AFK, input frames, heartbeats);
 * - `sync`: a paired device's routes on its hub (push its own changes, pull the diary);
 * - `admin`: token management, settings changes, daemon control.
 */
export const ACCESS_CLASSES = [
  'public',
  'any',
  'read',
  'analysis',
  'stream',
  'statusbar',
  'ingest',
  'sync',
  'admin',
] as const
export type Access = (typeof ACCESS_CLASSES)[number]

const GRANTS: Record<Scope, readonly Access[]> = {
  // Everything but a device's own sync routes: those need the device its token is bound to.
  admin: ACCESS_CLASSES.filter((a) => a !== 'sync'),
  read_only: ['any', 'read', 'stream', 'statusbar'],
  data: ['any', 'read', 'analysis', 'stream', 'statusbar'],
  stream: ['any', 'stream'],
  // A watcher writes; it never holds a key that can read your history (today's total for an
  // editor's status bar is all it sees).
  ingest: ['any', 'statusbar', 'ingest'],
  // A paired device: its hub's sync routes and nothing else (no settings of the hub's own
  // daemon, no tokens, no reads of the API).
  sync: ['sync'],
}

/** True when a token of `scope` may call a route of class `access`. */
export function allows(scope: Scope, access: Access): boolean {
  return access === 'public' || GRANTS[scope].includes(access)
}

/** The caller behind an authenticated request. */
export interface Principal {
  /** Token id (`default` for the default admin token). */
  tokenId: string
  scope: Scope
  /** For a `sync` token: the id of the device it is bound to. */
  device?: string
  /** On a team server, the user whose diary the token is of (undefined: the owner's). */
  user?: string
}

/** Resolves a presented secret to a principal, or undefined when it is not a live token. */
export interface Authenticator {
  authenticate(secret: string): Promise<Principal | undefined>
}

/** Tries authenticators in order; the first that recognises the secret decides. */
export class AuthenticatorChain implements Authenticator {
  readonly #links: readonly Authenticator[]

  constructor(links: readonly Authenticator[]) {
    this.#links = links
  }

  async authenticate(secret: string): Promise<Principal | undefined> {
    for (const link of this.#links) {
      const principal = await link.authenticate(secret)
      if (principal) return principal
    }
    return undefined
  }
}
