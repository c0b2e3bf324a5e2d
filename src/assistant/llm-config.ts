/**
 * Which model server the chat forwards to: `baseUrl`, `model` and `apiKey`, each from the stored
 * setting (`POST /v1/settings/llm-config`, kept in `<config-dir>/llm.json`, mode 0600) or else the
 * environment (`DAYBOOK_LLM_BASE_URL`, `DAYBOOK_LLM_MODEL`, `DAYBOOK_LLM_API_KEY`).
 *
 * The API key is a secret of another service: it is written only to that private file, never
 * returned by a GET (which says only whether one is set), never logged, never put in an error.
 */
import { existsSync, readFileSync } from 'node:fs'
import { writeFileAtomic } from '../config/files.ts'
import { NotReadyError, UnprocessableError } from '../domain/errors.ts'

export interface LlmSettings {
  baseUrl?: string | undefined
  model?: string | undefined
  apiKey?: string | undefined
}

/** Where each value in effect came from. */
export type LlmSource = 'settings' | 'environment' | null

export interface LlmConfigView {
  baseUrl: string | null
  model: string | null
  apiKeySet: boolean
  source: { baseUrl: LlmSource; model: LlmSource; apiKey: LlmSource }
}

/** The configuration in effect: what a request is forwarded with. */
export interface LlmTarget {
  baseUrl: string
  model: string | null
  apiKey: string | null
}

export const LLM_ENV = {
  baseUrl: 'DAYBOOK_LLM_BASE_URL',
  model: 'DAYBOOK_LLM_MODEL',
  apiKey: 'DAYBOOK_LLM_API_KEY',
} as const

/**
 * A base URL as the chat forwards to it: http(s), no credentials, query or fragment (the key has
 * its own field, so it never sits in a URL that gets shown), without a trailing slash.
 */
function normaliseLlmBaseUrl(value: string, field = 'baseUrl'): string {
  let url: URL
  try {
    url = new URL(value.trim())
  } catch {
    throw new UnprocessableError(
      'invalid_base_url',
      `${field} must be a URL such as http://127.0.0.1:11434/v1`,
      field,
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UnprocessableError('invalid_base_url', `${field} must be an http or https URL`, field)
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new UnprocessableError(
      'invalid_base_url',
      `${field} must not carry credentials, a query or a fragment; put the key in apiKey`,
      field,
    )
  }
  return url.href.replace(/\/+$/, '')
}

/** True when `value` holds a space or a control character (none may be in a header value). */
function hasSpaceOrControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c <= 0x20 || c === 0x7f) return true
  }
  return false
}

/**
 * True when `value` holds anything but printable ASCII. The key travels in the Authorization
 * header, which `fetch` refuses to send with other characters: each chat request was then a 502
 * "cannot reach the model server" (the fuzzer found it).
 */
function hasNonAscii(value: string): boolean {
  return /[^\x21-\x7e]/.test(value)
}

export class LlmConfig {
  readonly #file: string | undefined
  readonly #environment: LlmSettings
  /** Without a file (tests), the stored settings live in memory. */
  #memory: LlmSettings = {}

  constructor(options: { file?: string | undefined; environment?: LlmSettings | undefined }) {
    this.#file = options.file
    this.#environment = options.environment ?? {}
  }

  /** The stored settings (not the environment's). */
  stored(): LlmSettings {
    if (this.#file === undefined) return { ...this.#memory }
    if (!existsSync(this.#file)) return {}
    try {
      const parsed = JSON.parse(readFileSync(this.#file, 'utf8')) as Record<string, unknown>
      const out: LlmSettings = {}
      for (const key of ['baseUrl', 'model', 'apiKey'] as const) {
        const v = parsed[key]
        if (typeof v === 'string' && v !== '') out[key] = v
      }
      return out
    } catch {
      throw new NotReadyError(
        'llm_config_invalid',
        `${this.#file} is not valid JSON; fix it or set the configuration again`,
      )
    }
  }

  #fromEnv(key: keyof typeof LLM_ENV): string | undefined {
    const v = this.#environment[key]?.trim()
    return v === undefined || v === '' ? undefined : v
  }

  /** What a GET shows: never the key. */
  view(): LlmConfigView {
    const stored = this.stored()
    const pick = (key: keyof typeof LLM_ENV) =>
      stored[key] !== undefined
        ? { value: stored[key], source: 'settings' as const }
        : this.#fromEnv(key) !== undefined
          ? { value: this.#fromEnv(key), source: 'environment' as const }
          : { value: undefined, source: null }
    const [baseUrl, model, apiKey] = [pick('baseUrl'), pick('model'), pick('apiKey')]
    return {
      baseUrl: baseUrl.value ?? null,
      model: model.value ?? null,
      apiKeySet: apiKey.value !== undefined,
      source: { baseUrl: baseUrl.source, model: model.source, apiKey: apiKey.source },
    }
  }

  /** The configuration in effect, or undefined when no model server is configured. */
  target(): LlmTarget | undefined {
    const stored = this.stored()
    const baseUrl = stored.baseUrl ?? this.#fromEnv('baseUrl')
    if (baseUrl === undefined) return undefined
    return {
      baseUrl: normaliseLlmBaseUrl(baseUrl, stored.baseUrl ? 'baseUrl' : LLM_ENV.baseUrl),
      model: stored.model ?? this.#fromEnv('model') ?? null,
      apiKey: stored.apiKey ?? this.#fromEnv('apiKey') ?? null,
    }
  }

  /**
   * Changes the stored settings: a key given replaces its value, `null` removes it (the
   * environment's then applies), a key left out stays as it is.
   */
  update(change: { [K in keyof LlmSettings]?: string | null }): LlmConfigView {
    const next = this.stored()
    if (change.baseUrl !== undefined) {
      next.baseUrl = change.baseUrl === null ? undefined : normaliseLlmBaseUrl(change.baseUrl)
    }
    for (const key of ['model', 'apiKey'] as const) {
      const v = change[key]?.trim()
      if (v === undefined && change[key] === undefined) continue
      // A header value cannot hold spaces or control characters; say so without echoing it.
      if (v !== undefined && hasSpaceOrControl(v)) {
        throw new UnprocessableError(
          'invalid_value',
          `${key} must not contain spaces or control characters`,
          key,
        )
      }
      if (key === 'apiKey' && v !== undefined && hasNonAscii(v)) {
        throw new UnprocessableError(
          'invalid_value',
          'apiKey must be printable ASCII (it is sent in a header)',
          key,
        )
      }
      next[key] = v === '' ? undefined : v
    }
    if (this.#file === undefined) this.#memory = next
    // 0600 from its first byte, replaced atomically: the key is never readable by others.
    else writeFileAtomic(this.#file, `${JSON.stringify(next, null, 2)}\n`)
    return this.view()
  }
}
