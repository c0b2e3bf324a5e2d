/** A foreseeable start-up failure (a port in use, an unusable data dir): one line for the user. */
export class StartError extends Error {}
