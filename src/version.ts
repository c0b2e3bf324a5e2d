import pkg from '../package.json' with { type: 'json' }

/** This build's version, from package.json. */
export const DAYBOOK_VERSION: string = pkg.version

/** The API's protocol version (`GET /v1/version`, the mDNS TXT record); bumped on breaking changes. */
export const PROTOCOL_VERSION = 1
