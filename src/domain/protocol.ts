/**
 * The protocol version: of the API (`GET /v1/version`, the mDNS TXT record) and of sync between
 * daemons (a spoke and its hub compare it first). Bumped on breaking changes.
 */
import { ConflictError } from './errors.ts'

/** 2: screenshots' index rows and their tombstones sync (a change kind 1 does not know). */
export const PROTOCOL_VERSION = 2

/** A hub and a device speaking different protocols: one line saying so, before anything is sent. */
export function protocolMismatch(device: number): ConflictError {
  return new ConflictError(
    'protocol_mismatch',
    `protocol mismatch: the hub speaks protocol ${PROTOCOL_VERSION}, this device ${device}; upgrade Daybook on the older one`,
    'protocol',
  )
}
