// The store worker's entry point, plain JavaScript on purpose. The main thread has already
// stripped the types from the worker's TypeScript modules (with Node's own stripper, which it
// loads anyway); this load hook serves those sources, so each worker thread does not load a
// TypeScript stripper of its own (about 18 MB of memory per thread). Modules the main thread did
// not strip load as usual.
import { registerHooks } from 'node:module'
import { workerData } from 'node:worker_threads'

const { sources, main } = workerData.loader
registerHooks({
  load(url, context, nextLoad) {
    const source = sources[url]
    return source === undefined
      ? nextLoad(url, context)
      : { format: 'module', source, shortCircuit: true }
  },
})
await import(main)
