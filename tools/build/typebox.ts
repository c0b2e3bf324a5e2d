/**
 * `npm run build:typebox` (run by `npm install` through `prepare`): TypeBox in a few files.
 *
 * TypeBox ships as some 540 small ES modules. Every Daybook process loads it (the daemon, each
 * CLI run, each store worker that validates), and Node resolves, reads and links each module
 * on its own: about 0.3 s of CPU per process even with the compile cache, the largest single part
 * of a CLI command's start. Bundled, the same code loads in about 0.04 s. The bundle is written
 * to `build/typebox/` (not committed) and reached through the package's `#typebox` imports, so
 * every module shares one TypeBox (one format registry), and the types still come from the
 * package itself.
 *
 *   node tools/build/typebox.ts
 */
import { rmSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'rolldown'

const ROOT = path.resolve(import.meta.dirname, '..', '..')
const OUT = path.join(ROOT, 'build', 'typebox')

/** The entry points Daybook imports, by the name of their file in the bundle. */
const ENTRIES = {
  typebox: 'typebox',
  schema: 'typebox/schema',
  format: 'typebox/format',
}

rmSync(OUT, { recursive: true, force: true })
await build({
  input: Object.fromEntries(
    Object.entries(ENTRIES).map(([name, spec]) => [name, fileURLToPath(import.meta.resolve(spec))]),
  ),
  platform: 'node',
  logLevel: 'warn',
  output: {
    dir: OUT,
    format: 'esm',
    entryFileNames: '[name].mjs',
    chunkFileNames: '[name]-[hash].mjs',
  },
})
