/**
 * Names a Fastify plugin after its function. Fastify names a plugin that carries no name of its
 * own by searching every loaded CommonJS module for it, once per registration: with the app's
 * sixty-odd registrations that was about 40 ms of every start.
 */
export function named<T extends (...args: never[]) => unknown>(plugin: T, name = plugin.name): T {
  const key = Symbol.for('fastify.display-name')
  if (!(key in plugin)) Object.defineProperty(plugin, key, { value: name || 'daybook-plugin' })
  return plugin
}
