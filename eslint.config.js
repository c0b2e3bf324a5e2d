// @ts-check
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

/** The folders of `src/`, each a layer of the architecture. */
const LAYERS = [
  'domain',
  'config',
  'auth',
  'store',
  'collectors',
  'services',
  'api',
  'client',
  'assistant',
  'discovery',
  'daemon',
  'cli',
]

/**
 * What each layer may import from `src/` (besides itself); a layer not named here (the CLI) may
 * import anything. `types` are layers it may read types from but not code. The rule
 * cli -> api -> services -> domain, with the store and the collectors on the domain and the
 * configuration only, is enforced here; `test/lint/boundaries.test.ts` proves it fires.
 */
const MAY_IMPORT = {
  domain: { code: [] },
  config: { code: ['domain'] },
  auth: { code: ['domain', 'config'] },
  store: { code: ['domain', 'config'] },
  collectors: { code: ['domain', 'config'] },
  services: { code: ['domain', 'store', 'auth', 'config'] },
  api: { code: ['domain', 'services', 'store', 'auth', 'config', 'assistant', 'version'] },
  client: { code: ['domain', 'auth', 'config'], types: ['api', 'services'] },
  // The MCP server and the chat: adapters over the typed client, served by the API and the CLI.
  assistant: { code: ['domain', 'client', 'config', 'version'] },
  discovery: { code: ['domain', 'config', 'version'] },
  daemon: {
    code: [
      'domain',
      'config',
      'auth',
      'store',
      'services',
      'api',
      'discovery',
      'collectors',
      'version',
    ],
  },
}

/** The patterns that keep `layer` to what MAY_IMPORT allows it. */
function layerPatterns(layer) {
  const { code, types = [] } = MAY_IMPORT[layer]
  const forbidden = [...LAYERS, 'version'].filter((l) => l !== layer && !code.includes(l))
  const allowed = [...code, ...types.map((t) => `types of ${t}`)].join(', ') || 'nothing else'
  const pattern = (names, allowTypeImports) => ({
    regex: `^(\\.\\./)+(${names.join('|')})(/|\\.ts$)`,
    allowTypeImports,
    message: `${layer}/ may import ${allowed} (MAY_IMPORT in eslint.config.js).`,
  })
  const typeOnly = forbidden.filter((l) => types.includes(l))
  const never = forbidden.filter((l) => !types.includes(l))
  return [
    ...(never.length > 0 ? [pattern(never, false)] : []),
    ...(typeOnly.length > 0 ? [pattern(typeOnly, true)] : []),
    ...(layer === 'domain' ? [DOMAIN_IS_PURE] : []),
  ]
}

/** The domain is pure: no files, sockets, processes, threads, databases or HTTP. */
const DOMAIN_IS_PURE = {
  regex:
    '^(node:(fs|fs/promises|net|http|https|http2|child_process|worker_threads|sqlite|dgram|os|process)$|fastify|pg$)',
  message: 'src/domain/ is pure: I/O belongs in the store, the services or the adapters.',
}

const IN_A_BROWSER = { regex: '^(node:|ws$|qs$)', message: 'The dashboard runs in a browser.' }

/** TypeBox through the bundle `npm install` builds (DEVELOPERS.md): one copy, one format registry. */
const TYPEBOX_BUNDLED = {
  regex: '^typebox(/|$)',
  allowTypeImports: true,
  message: 'Import #typebox (or #typebox/schema, #typebox/format): the bundle, loaded in one go.',
}

const restrict = (patterns) => ({
  '@typescript-eslint/no-restricted-imports': [
    'error',
    { patterns: [...patterns, TYPEBOX_BUNDLED] },
  ],
})

function layerBoundaries() {
  return [
    { files: ['**/*.ts', '**/*.tsx'], ignores: ['src/typebox/**'], rules: restrict([]) },
    ...Object.keys(MAY_IMPORT).map((layer) => ({
      files: [`src/${layer}/**/*.ts`],
      rules: restrict(layerPatterns(layer)),
    })),
    {
      // The dashboard's half of the typed client runs in a browser too.
      files: ['src/client/api.ts', 'src/client/hooks.ts'],
      languageOptions: { globals: globals.browser },
      rules: restrict([...layerPatterns('client'), IN_A_BROWSER]),
    },
    {
      // The dashboard reads the daemon only through the typed client, and shares only the pure
      // domain's code.
      files: ['web/src/**/*.{ts,tsx}'],
      languageOptions: { globals: globals.browser },
      rules: restrict([
        IN_A_BROWSER,
        {
          regex: `^(\\.\\./)+src/((${LAYERS.filter((l) => l !== 'domain' && l !== 'client').join('|')})/|client/client\\.ts$)`,
          message:
            'The dashboard imports only the typed client (src/client/api.ts) and the pure domain.',
        },
      ]),
    },
  ]
}

/** Syntax Node cannot strip (it runs TypeScript by erasing types only). */
const ERASABLE_ONLY = [
  {
    selector: 'TSEnumDeclaration',
    message: 'Use an `as const` object: Node runs TypeScript by stripping types only.',
  },
  { selector: 'TSParameterProperty', message: 'Parameter properties are not erasable syntax.' },
]

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'coverage/**',
      'scratch/**',
      'web/dist/**',
      'build/**',
      'test/fixtures/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // The store port is async by contract; the SQLite implementation happens to be synchronous.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        ...ERASABLE_ONLY,
        {
          // What is announced is what a service committed: the bus has one kind of publisher.
          selector:
            "CallExpression[callee.property.name='publish'][callee.object.property.name='bus']",
          message: 'Only services publish on the bus (after their write commits).',
        },
      ],
    },
  },
  {
    files: ['src/services/**/*.ts', 'test/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...ERASABLE_ONLY] },
  },
  ...layerBoundaries(),
  {
    // One concern per file: past about 500 lines of code a file holds two. Migrations are data.
    files: ['src/**/*.ts'],
    ignores: ['src/store/sqlite/migrations/**'],
    rules: { 'max-lines': ['error', { max: 520, skipBlankLines: true, skipComments: true }] },
  },
  {
    // Tests read JSON responses, which are untyped by nature.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
)
