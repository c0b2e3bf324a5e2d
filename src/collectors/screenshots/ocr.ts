/**
 * OCR of frames: `tesseract.js` (Tesseract compiled to WebAssembly) in a pool of worker threads
 * of the collector's process, never on its event loop. The language data comes from the npm
 * packages `@tesseract.js-data/<code>` installed beside Daybook and is handed to the workers as
 * bytes, so nothing is ever downloaded (tesseract.js would fetch from a CDN otherwise).
 *
 * On Linux the pool's threads run at a lower priority (nice 10): OCR takes what the machine has
 * spare and yields to everything the person is doing.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'

/** The text of a frame, and how long reading it took. */
export interface OcrResult {
  text: string
  ms: number
}

/** A pool that reads text from images. */
export interface OcrPool {
  /**
   * The text of an image (a file: PGM, PNG), or null when it took longer than `timeoutMs` (the
   * job is dropped).
   */
  read(image: Buffer, timeoutMs: number): Promise<OcrResult | null>
  /** Frames waiting for or in OCR. */
  readonly pending: number
  close(): Promise<void>
}

const require = createRequire(import.meta.url)

/** The niceness of the OCR threads. */
const OCR_NICE = 10

/**
 * The traineddata file of a language, from its npm package (the fast integer model tesseract.js
 * uses by default); throws a one-line error naming the package to install when it is missing.
 */
export function languageFile(code: string): string {
  let dir: string
  try {
    dir = path.dirname(require.resolve(`@tesseract.js-data/${code}/package.json`))
  } catch {
    throw new Error(
      `no OCR data for the language ${JSON.stringify(code)}: install the npm package @tesseract.js-data/${code} beside Daybook`,
    )
  }
  const file = path.join(dir, '4.0.0_best_int', `${code}.traineddata.gz`)
  if (!existsSync(file)) throw new Error(`the OCR data package of ${code} has no ${file}`)
  return file
}

/**
 * One folder holding every language's data, as tesseract.js reads them (`<langPath>/<code>
 * .traineddata.gz`): the packages keep theirs apart, so links to them are gathered in a private
 * temporary folder. A local path, never a URL: tesseract.js reads it from disk.
 */
function languageDir(languages: readonly string[]): string {
  const files = languages.map((code) => [code, languageFile(code)] as const)
  const dir = mkdtempSync(path.join(os.tmpdir(), 'daybook-ocr-'))
  for (const [code, file] of files) symlinkSync(file, path.join(dir, `${code}.traineddata.gz`))
  return dir
}

/** The ids of this process's threads (Linux), or an empty set where /proc is not there. */
function threadIds(): Set<number> {
  try {
    return new Set(readdirSync('/proc/self/task').map(Number))
  } catch {
    return new Set()
  }
}

/**
 * Starts `size` OCR workers for `languages` (their data loaded once, before the first frame);
 * rejects when a language's data is missing.
 */
export async function startOcrPool(
  languages: readonly string[],
  log: (line: string) => void,
  size = 1,
): Promise<OcrPool> {
  const langPath = languageDir(languages)
  const { createScheduler, createWorker, OEM } = await import('tesseract.js')
  const scheduler = createScheduler()
  const before = threadIds()
  try {
    for (let i = 0; i < size; i++) {
      const worker = await createWorker([...languages], OEM.LSTM_ONLY, {
        langPath,
        cacheMethod: 'none',
        gzip: true,
        // Without a handler, tesseract.js throws a failed job's error out of its message
        // listener, which would end the whole watcher; the job's promise rejects either way.
        errorHandler: (err: unknown) => log(`OCR: ${String(err)}`),
      })
      scheduler.addWorker(worker)
    }
  } catch (err) {
    await scheduler.terminate()
    rmSync(langPath, { recursive: true, force: true })
    throw err
  }
  // Loaded: the links are no longer needed.
  rmSync(langPath, { recursive: true, force: true })
  // Why by thread id: the workers are threads of this process, and a niceness on Linux is a
  // thread's own; lowering the whole process would slow the window watcher beside them.
  for (const tid of threadIds()) {
    if (!before.has(tid)) {
      try {
        os.setPriority(tid, OCR_NICE)
      } catch {
        // Not permitted or gone: OCR runs at normal priority.
      }
    }
  }
  let pending = 0
  return {
    get pending() {
      return pending
    },
    async read(image, timeoutMs) {
      pending++
      const started = performance.now()
      let timer: NodeJS.Timeout | undefined
      const job = scheduler.addJob('recognize', image)
      try {
        const result = await Promise.race([
          job,
          new Promise<null>((resolve) => {
            timer = setTimeout(() => resolve(null), timeoutMs)
          }),
        ])
        if (result === null) {
          // The job goes on in its worker; its answer is dropped.
          job.catch(() => undefined)
          return null
        }
        return { text: result.data.text.trim(), ms: Math.round(performance.now() - started) }
      } finally {
        clearTimeout(timer)
        pending--
      }
    },
    async close() {
      await scheduler.terminate()
    },
  }
}
