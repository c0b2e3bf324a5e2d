import pkg from '../package.json' with { type: 'json' }

/** This build's version, from package.json. */
export const DAYBOOK_VERSION: string = pkg.version

/** The protocol version of the API and of sync (`GET /v1/version`, the mDNS TXT record). */
export { PROTOCOL_VERSION } from './domain/protocol.ts'
