/**
 * A hub's rules that every store applies the same way: the name a device first heard of gets
 * when its own is another device's, whether a pairing code can be used, and where a paired
 * device's pushes resume.
 */
/**
 * The names to try, in order, for a device whose name may be taken (names are unique): `name`,
 * then `name (1a2b3c4d)`, with more of its id while those are taken too, and finally the whole id.
 */
export function* deviceNameCandidates(name: string, uuid: string): Generator<string> {
  yield name
  for (let length = 8; length <= uuid.length; length += 4) {
    yield `${name} (${uuid.slice(0, length)})`
  }
  yield `${name} (${uuid})`
}

/** Why a pairing code cannot be used. */
export type PairingRefusal = 'unknown' | 'used' | 'expired' | 'name_taken'

/** A stored pairing code as the rule needs it. */
export interface StoredCode {
  name: string | null
  expiresMs: number
  usedMs: number | null
}

/** The name a device paired with `code` gets: the code's, else its own. */
export function pairingName(code: StoredCode | undefined, device: { name: string }): string {
  return code?.name ?? device.name
}

/**
 * Whether `code` pairs `device` at `nowMs`: the code must be known, unused and unexpired, and the
 * name it gives (`pairingName`) not another device's (`holder`: the id of the device that has
 * that name here, if any).
 */
export function pairingVerdict(
  code: StoredCode | undefined,
  device: { id: string; name: string },
  nowMs: number,
  holder: string | undefined,
): { ok: true; name: string } | { ok: false; reason: PairingRefusal; name?: string } {
  if (!code) return { ok: false, reason: 'unknown' }
  if (code.usedMs !== null) return { ok: false, reason: 'used' }
  if (nowMs >= code.expiresMs) return { ok: false, reason: 'expired' }
  const name = pairingName(code, device)
  if (holder !== undefined && holder !== device.id) return { ok: false, reason: 'name_taken', name }
  return { ok: true, name }
}

/**
 * Where a paired device's pushes continue: its acknowledged position in the same run of the
 * device (`epoch`); in a new run that began at `startSeq` (its database restored from an older
 * copy, say), no later than that, so what the hub lacks is pushed again.
 */
export function resumedPush(
  stored: { pushedSeq: number; epoch: number | null },
  epoch: number,
  startSeq: number,
): { seq: number; changed: boolean } {
  if (stored.epoch === epoch) return { seq: stored.pushedSeq, changed: false }
  return { seq: Math.min(stored.pushedSeq, startSeq), changed: true }
}
