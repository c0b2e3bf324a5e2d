/**
 * Many people on one server: each user's data is a diary of its own — a store beside the first
 * one (`Store.openDiary`: a SQLite file under the data dir, or a PostgreSQL schema) with its own
 * services (`DaybookContext`: ingest, rollups, feed, settings, labels, tokens, hooks, the live
 * stream). The first store's `users` table is the directory; its own data is the owner's diary,
 * the one a single-user daemon always had (no row moved).
 *
 * Why a diary per user rather than a user column on every table: every route, service and store
 * query already works on one diary, so isolation holds by construction — a request reaches only
 * the diary its token resolved to (`request.daybook`, set by the auth hook) and no query can
 * forget a filter. The cost is here: a directory, and a token looked up across diaries.
 */
import type { Authenticator, Principal } from '../domain/access.ts'
import { ConflictError, ForbiddenError, NotFoundError } from '../domain/errors.ts'
import { OWNER_NAME, checkUserName } from '../domain/users.ts'
import type { Store, UserRow } from '../store/ports.ts'
import type { DaybookContext } from './context.ts'

/**
 * Refuses (403 `owner_only`) what acts on the server itself rather than on a diary — files on
 * its disk, the model server every user's chat goes to — unless `daybook` is the owner's diary.
 */
export function requireOwnerDiary(
  daybook: DaybookContext,
  owner: DaybookContext,
  what: string,
): void {
  if (daybook !== owner) {
    throw new ForbiddenError('owner_only', `${what} is the server owner's to do, not a user's`)
  }
}

/** A user as the API shows them. */
export interface UserInfo {
  name: string
  admin: boolean
  owner: boolean
  createdMs: number
}

interface Diary {
  row: UserRow
  daybook: DaybookContext
}

export interface UsersOptions {
  /** The owner's diary: the app's own context, whose store holds the directory. */
  owner: DaybookContext
  /** Makes the services of another user's diary around its (migrated) store, started. */
  open: (store: Store, name: string) => Promise<DaybookContext>
  /** Stops a diary's services and closes its store. */
  close: (daybook: DaybookContext) => Promise<void>
  clock: () => number
}

/**
 * The directory and the open diaries. Every user's diary is opened when the directory is loaded
 * (at start, and when a user is added): a token is looked up in each diary's token cache, which
 * are in memory, so a request costs no query to find its user.
 */
export class Users implements Authenticator {
  readonly #options: UsersOptions
  readonly #diaries = new Map<string, Diary>()
  #ownerName = OWNER_NAME
  #loaded: Promise<void> | undefined
  /** Serialises adds and removals, so a diary is never opened and dropped at once. */
  #queue: Promise<unknown> = Promise.resolve()
  /** The directory's version the open diaries match (undefined until loaded). */
  #version: number | undefined
  /** The check callers arriving now will share: queued, not yet started. */
  #nextCheck: Promise<void> | undefined

  constructor(options: UsersOptions) {
    this.#options = options
  }

  get #store(): Store {
    return this.#options.owner.store
  }

  /**
   * Reads the directory and opens every user's diary; on a daemon that has no users yet, the
   * owner is made (an admin, whose diary is the data it already kept). Once per run.
   */
  load(): Promise<void> {
    this.#loaded ??= this.#serial(async () => {
      // Read before the list: a change between the two shows as a newer version at the next check.
      this.#version = await this.#store.users.version()
      let rows = await this.#store.users.list()
      if (!rows.some((r) => r.owner)) {
        // Another daemon on the same database may make it first: then its row is the one.
        await this.#store.users.add({
          name: OWNER_NAME,
          admin: true,
          owner: true,
          createdMs: this.#options.clock(),
        })
        rows = await this.#store.users.list()
      }
      for (const row of rows) {
        if (row.owner) this.#ownerName = row.name
        else if (!this.#diaries.has(row.name)) await this.#open(row)
      }
    })
    return this.#loaded
  }

  /**
   * Brings the open diaries in line with the directory when another daemon on the same database
   * added or removed a user: one read of the directory's version, and the list only when it moved.
   * A caller waits for a check that starts after its call (callers meanwhile share it), so a user
   * removed anywhere before a request began is gone for that request.
   *
   * Why a version read per request rather than LISTEN/NOTIFY or a timer: a notification sent while
   * this daemon's listening connection was down is lost (so the version must be read after every
   * reconnect anyway), and a timer leaves a window in which a removed user's tokens still pass.
   * The read is one row by primary key, made only for requests with a user's token (the owner's
   * are recognised before) and by server admins' user management.
   */
  refresh(): Promise<void> {
    if (this.#loaded === undefined) return Promise.resolve()
    this.#nextCheck ??= this.#serial(async () => {
      this.#nextCheck = undefined
      await this.#check()
    })
    return this.#nextCheck
  }

  async #check(): Promise<void> {
    const version = await this.#store.users.version()
    if (version === this.#version) return
    const rows = await this.#store.users.list()
    const byName = new Map(rows.map((r) => [r.name, r]))
    for (const [name, diary] of this.#diaries) {
      const row = byName.get(name)
      // Gone, or removed and added again (a new, empty diary): the open one is closed.
      if (row?.createdMs !== diary.row.createdMs) {
        this.#diaries.delete(name)
        await this.#options.close(diary.daybook)
      } else {
        diary.row = row
      }
    }
    for (const row of rows) {
      if (row.owner) this.#ownerName = row.name
      else if (!this.#diaries.has(row.name)) await this.#open(row)
    }
    this.#version = version
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn)
    this.#queue = next.catch(() => undefined)
    return next
  }

  async #open(row: UserRow): Promise<DaybookContext> {
    const store = await this.#store.openDiary(row.name)
    try {
      await store.migrate()
      const daybook = await this.#options.open(store, row.name)
      this.#diaries.set(row.name, { row, daybook })
      return daybook
    } catch (err) {
      await store.close().catch(() => undefined)
      throw err
    }
  }

  /** The owner's name (`owner` unless the directory says otherwise). */
  get ownerName(): string {
    return this.#ownerName
  }

  /**
   * The diary of the user a principal belongs to: the owner's for the default token, its own
   * tokens and every principal without a user; undefined when the user is gone.
   */
  diaryOf(principal: Principal | undefined): DaybookContext | undefined {
    const user = principal?.user
    if (user === undefined || user === this.#ownerName) return this.#options.owner
    return this.#diaries.get(user)?.daybook
  }

  /** The diary of user `name`; 404 when there is none. */
  diary(name: string): DaybookContext {
    if (name === this.#ownerName) return this.#options.owner
    const diary = this.#diaries.get(name)
    if (!diary) throw new NotFoundError('unknown_user', `no user named ${JSON.stringify(name)}`)
    return diary.daybook
  }

  /** Whether the principal is a server admin: an admin token of a user who is one. */
  async isServerAdmin(principal: Principal | undefined): Promise<boolean> {
    if (principal?.scope !== 'admin') return false
    // What a server admin then manages is the directory as it is now, whichever daemon changed it.
    await this.refresh()
    const name = principal.user ?? this.#ownerName
    const row = (await this.#store.users.list()).find((r) => r.name === name)
    return row?.admin ?? false
  }

  /** Every user, owner first, then by name. */
  async list(): Promise<UserInfo[]> {
    return (await this.#store.users.list()).map(info)
  }

  /** Adds a user and opens their (empty) diary; 409 `user_exists` when the name is taken. */
  add(name: string, admin: boolean): Promise<UserInfo> {
    checkUserName(name)
    return this.#serial(async () => {
      const row: UserRow = { name, admin, owner: false, createdMs: this.#options.clock() }
      if (!(await this.#store.users.add(row))) {
        throw new ConflictError('user_exists', `a user named ${JSON.stringify(name)} exists`)
      }
      try {
        // A diary left by an earlier user of that name (removed on another daemon while this
        // one was down) is not theirs to inherit.
        await this.#store.dropDiary(name)
        await this.#open(row)
      } catch (err) {
        await this.#store.users.remove(name).catch(() => undefined)
        throw err
      }
      return info(row)
    })
  }

  /**
   * Removes a user: their tokens stop working at once, their diary is closed and deleted.
   * 409 `last_admin` for the last server admin, `owner_diary` for the owner.
   */
  remove(name: string): Promise<void> {
    return this.#serial(async () => {
      const outcome = await this.#store.users.remove(name)
      if (outcome === 'unknown') {
        throw new NotFoundError('unknown_user', `no user named ${JSON.stringify(name)}`)
      }
      if (outcome === 'last_admin') {
        throw new ConflictError(
          'last_admin',
          `${name} is the last server admin; make another user an admin first`,
        )
      }
      if (outcome === 'owner') {
        throw new ConflictError(
          'owner_diary',
          `${name} is the owner: their diary holds the server's directory of users`,
        )
      }
      const diary = this.#diaries.get(name)
      this.#diaries.delete(name)
      if (diary) await this.#options.close(diary.daybook)
      await this.#store.dropDiary(name)
    })
  }

  /** Makes a user a server admin or not; 409 `last_admin` when none would be left. */
  async setAdmin(name: string, admin: boolean): Promise<UserInfo> {
    const outcome = await this.#store.users.setAdmin(name, admin)
    if (outcome === 'unknown') {
      throw new NotFoundError('unknown_user', `no user named ${JSON.stringify(name)}`)
    }
    if (outcome === 'last_admin') {
      throw new ConflictError('last_admin', `${name} is the last server admin`)
    }
    const row = (await this.#store.users.list()).find((r) => r.name === name)
    if (!row) throw new NotFoundError('unknown_user', `no user named ${JSON.stringify(name)}`)
    const diary = this.#diaries.get(name)
    if (diary) diary.row = row
    return info(row)
  }

  /**
   * A token of another user's diary (scoped tokens, WakaTime keys, paired devices): the
   * principal carries the user's name. The owner's tokens held in its cache are checked before
   * this (`authenticateHeld`).
   *
   * Each diary caches its tokens, and another daemon on the database may have made or revoked one
   * since. A token is one diary's, so the diary whose cache holds the secret confirms it with one
   * read of its tokens' version; only a secret no cache holds (made elsewhere since, or no token
   * at all) costs a read of every diary's version, the owner's included.
   */
  async authenticate(secret: string): Promise<Principal | undefined> {
    await this.refresh()
    for (const [name, { daybook }] of this.#diaries) {
      const principal =
        (await daybook.tokens.authenticateHeld(secret)) ??
        (await daybook.syncHub.authenticate(secret))
      if (principal) return { ...principal, user: name }
    }
    const owner = this.#options.owner.tokens.authenticate(secret)
    const users = [...this.#diaries].map(async ([name, { daybook }]) => {
      const principal = await daybook.tokens.authenticate(secret)
      return principal && { ...principal, user: name }
    })
    for (const principal of await Promise.all([owner, ...users])) if (principal) return principal
    return undefined
  }

  /**
   * A device exchanges a pairing code for its token (`POST /v1/sync/hub/join`): the code is
   * looked up in the owner's diary, then in each user's, so a code made for a user (`daybook pair
   * --user`) pairs the device with that user's diary. Only `unknown_code` moves on to the next
   * diary; every other refusal (used, expired, a name taken) is the diary's that holds the code.
   */
  async join(
    request: Parameters<DaybookContext['syncHub']['join']>[0],
  ): ReturnType<DaybookContext['syncHub']['join']> {
    const diaries = [this.#options.owner, ...this.diaries]
    for (const [i, daybook] of diaries.entries()) {
      try {
        return await daybook.syncHub.join(request)
      } catch (err) {
        if ((err as { code?: string }).code !== 'unknown_code' || i === diaries.length - 1) {
          throw err
        }
      }
    }
    throw new Error('no diary to pair with')
  }

  /** Every open diary but the owner's (for shutdown and the hub's pairing). */
  get diaries(): DaybookContext[] {
    return [...this.#diaries.values()].map((d) => d.daybook)
  }

  /** Closes every diary but the owner's (the app closes that one). */
  async closeAll(): Promise<void> {
    await this.#queue
    const open = [...this.#diaries.values()]
    this.#diaries.clear()
    await Promise.all(open.map((d) => this.#options.close(d.daybook)))
  }
}

function info(row: UserRow): UserInfo {
  return { name: row.name, admin: row.admin, owner: row.owner, createdMs: row.createdMs }
}
