/**
 * The layer rule in eslint.config.js fires: each probe is source a developer might write, linted as
 * if it stood in a real file of that layer.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ESLint } from 'eslint'

const RULES = ['@typescript-eslint/no-restricted-imports', 'no-restricted-syntax']

// Only the two rules under test run, without type information: the probes need no type checker.
const eslint = new ESLint({
  cwd: new URL('../..', import.meta.url).pathname,
  ruleFilter: ({ ruleId }) => RULES.includes(ruleId),
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
})

async function violations(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath })
  return (result?.messages ?? []).map((m) => m.message)
}

describe('layer boundaries', () => {
  const refused: [string, string, string, RegExp][] = [
    [
      'the store imports the API',
      'src/store/ports.ts',
      "import { buildApp } from '../api/app.ts'\nexport const x = buildApp\n",
      /store\/ may import domain, config/,
    ],
    [
      'a store module deep inside imports a service',
      'src/store/sqlite/reader.ts',
      "import { Bus } from '../../services/bus.ts'\nexport const x = Bus\n",
      /store\/ may import/,
    ],
    [
      'the domain imports the store',
      'src/domain/events.ts',
      "import type { Store } from '../store/ports.ts'\nexport type X = Store\n",
      /domain\/ may import nothing else/,
    ],
    [
      'the domain does I/O',
      'src/domain/summary.ts',
      "import { readFileSync } from 'node:fs'\nexport const x = readFileSync\n",
      /domain\/ is pure/,
    ],
    [
      'a service imports a route',
      'src/services/labels.ts',
      "import { labelRoutes } from '../api/routes/labels.ts'\nexport const x = labelRoutes\n",
      /services\/ may import/,
    ],
    [
      'the API imports the CLI',
      'src/api/app.ts',
      "import { main } from '../cli/main.ts'\nexport const x = main\n",
      /api\/ may import/,
    ],
    [
      'a collector imports a service',
      'src/collectors/core/outbox.ts',
      "import { Bus } from '../../services/bus.ts'\nexport const x = Bus\n",
      /collectors\/ may import domain, config/,
    ],
    [
      'the client runs API code',
      'src/client/client.ts',
      "import { buildApp } from '../api/app.ts'\nexport const x = buildApp\n",
      /client\/ may import/,
    ],
    [
      'the dashboard imports the store',
      'web/src/app.tsx',
      "import type { Store } from '../../src/store/ports.ts'\nexport type X = Store\n",
      /only the typed client/,
    ],
    [
      'the dashboard imports the Node half of the client',
      'web/src/app.tsx',
      "import { DaybookClient } from '../../src/client/client.ts'\nexport const x = DaybookClient\n",
      /only the typed client/,
    ],
    [
      'the dashboard imports a Node module',
      'web/src/format.ts',
      "import { readFileSync } from 'node:fs'\nexport const x = readFileSync\n",
      /runs in a browser/,
    ],
    [
      'a route publishes on the bus',
      'src/api/routes/labels.ts',
      'declare const app: { bus: { publish(x: unknown): void } }\napp.bus.publish({})\n',
      /Only services publish/,
    ],
  ]
  for (const [name, file, code, message] of refused) {
    test(`refused: ${name}`, async () => {
      const found = await violations(file, code)
      assert.ok(
        found.some((m) => message.test(m)),
        `${file}: ${found.join('; ') || 'no violation'}`,
      )
    })
  }

  const allowed: [string, string, string][] = [
    [
      'a service reads the store port and the domain',
      'src/services/labels.ts',
      "import type { Store } from '../store/ports.ts'\nimport { DAY_MS } from '../domain/time.ts'\nexport type X = Store\nexport const y = DAY_MS\n",
    ],
    [
      'the client reads route types',
      'src/client/api.ts',
      "import type { LabelWire } from '../api/schemas/labels.ts'\nexport type X = LabelWire\n",
    ],
    [
      'the dashboard uses the typed client and the domain',
      'web/src/format.ts',
      "import type { Settings } from '../../src/client/api.ts'\nimport { DAY_MS } from '../../src/domain/time.ts'\nexport type X = Settings\nexport const y = DAY_MS\n",
    ],
    [
      'a service publishes on the bus',
      'src/services/labels.ts',
      'declare const bus: { publish(x: unknown): void }\nconst s = { bus }\ns.bus.publish({})\n',
    ],
  ]
  for (const [name, file, code] of allowed) {
    test(`allowed: ${name}`, async () => {
      assert.deepEqual(await violations(file, code), [])
    })
  }
})
