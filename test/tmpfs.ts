/**
 * A small tmpfs for tests of a full disk, for real. Mounting needs root (as CI runs); elsewhere
 * the tests skip and say why.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'

/** Why a tmpfs cannot be mounted here, or undefined when it can. */
export function tmpfsSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'tmpfs mounts need Linux'
  const probe = mkdtempSync(path.join(os.tmpdir(), 'daybook-mount-probe-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'pipe' })
    execFileSync('umount', [probe], { stdio: 'pipe' })
    return undefined
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim()
    return `cannot mount a tmpfs here (${stderr || (err as Error).message}); run as root`
  } finally {
    rmSync(probe, { recursive: true, force: true })
  }
}

/**
 * A tmpfs of `size` (`64k`, `2m`) mounted on a new temp dir, unmounted when the test ends, after
 * `beforeUnmount` (a daemon on it stops first). `resize` changes its size, keeping what is on it.
 */
export function mountTmpfs(
  t: TestContext,
  size: string,
  beforeUnmount?: () => Promise<void>,
): { mountPoint: string; resize: (size: string) => void } {
  const mountPoint = mkdtempSync(path.join(os.tmpdir(), 'daybook-full-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', mountPoint])
  t.after(async () => {
    await beforeUnmount?.()
    execFileSync('umount', ['-l', mountPoint])
    rmSync(mountPoint, { recursive: true, force: true })
  })
  return {
    mountPoint,
    resize: (to) => execFileSync('mount', ['-o', `remount,size=${to}`, mountPoint]),
  }
}
