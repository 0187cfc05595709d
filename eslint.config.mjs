// ESLint (flat config): typescript-eslint's type-checked rules over src/, bench/ and test/ with the project's
// tsconfig, and the import direction of docs/architecture (layout): checked on resolved files, not import text.
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** Folders that make up the server; the browser bundle (src/ui/) may import none of them. */
const serverFolders = [
  'admin',
  'app',
  'audit',
  'composition',
  'config',
  'cli',
  'detection',
  'dispatch',
  'functions',
  'local',
  'notifiers',
  'rules',
  'state',
  'tenants',
  'watch',
];
/** The use cases, their wiring, their settings and the HTTP adapters: the top of the arrows. */
const upperFolders = ['app', 'admin', 'composition', 'config', 'functions', 'cli', 'local'];

/** `import-x/no-restricted-paths` zones: `target` may not import `from`. */
const zones = [
  // Adapters, channels and the browser bundle serve the use cases; they never reach back up into them.
  ...['state', 'notifiers'].map((target) => ({
    target: `./src/${target}`,
    from: upperFolders.map((f) => `./src/${f}`),
    message:
      'points back up: move the port or shared type beside its domain (rules/, dispatch/, audit/, notifiers/, shared/).',
  })),
  // The domain folders hold no use case either.
  ...['audit', 'rules', 'dispatch', 'detection', 'tenants', 'watch', 'shared'].map((target) => ({
    target: `./src/${target}`,
    from: upperFolders.map((f) => `./src/${f}`),
    message: 'points back up: domain code does not import use cases, wiring or adapters of the host.',
  })),
  // config/ is settings and their parsing: it serves every layer above the domain and imports none of them.
  {
    target: './src/config',
    from: ['app', 'admin', 'composition', 'functions', 'cli', 'local'].map((f) => `./src/${f}`),
    message: 'config/ parses settings: it does not import use cases, wiring or hosts.',
  },
  // The use cases (pipeline and operator) take their dependencies as parameters: composition/ builds the graph.
  {
    target: './src/app',
    from: ['composition', 'functions', 'cli', 'local'].map((f) => `./src/${f}`),
    message: 'a use case takes narrow dependencies; only composition/ wires them, and no use case imports a host.',
  },
  {
    target: './src/admin',
    from: './src/composition',
    // Known debt: alertStatus, quarantine, channelAdmin and doctor (doctorChannels) take the `Services` type (a type import).
    except: ['./services.ts'],
    message: 'an operator use case takes narrow dependencies; only composition/ wires them.',
  },
  {
    target: './src/admin',
    from: ['app', 'functions', 'cli', 'local'].map((f) => `./src/${f}`),
    message: 'operator use cases do not import the pipeline or a host.',
  },
  // composition/ builds the object graph for the hosts; it never imports one.
  {
    target: './src/composition',
    from: ['functions', 'cli', 'local'].map((f) => `./src/${f}`),
    message: 'composition/ is imported by the hosts (functions/, cli/, local/), never the other way round.',
  },
  // shared/ is the pure code both the server and the browser may use: it imports no other folder.
  {
    target: './src/shared',
    from: serverFolders.map((f) => `./src/${f}`).concat('./src/ui'),
    message: 'shared/ is imported by the browser bundle too: keep it free of other folders.',
  },
  {
    target: './src/ui',
    from: serverFolders.map((f) => `./src/${f}`),
    message: 'is a server module: the browser bundle imports only src/ui/ and src/shared/.',
  },
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'test-artifacts/**',
      'bench-results/**',
      'infra/**',
      'scripts/**',
      '**/*.mjs',
      '**/*.mts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })],
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones }],
      // `{ field: _field, ...rest }` is how this code drops a field from a copy; `_` marks deliberately unused.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // Off: ports are implemented with `async` methods that need no await (a throw then becomes a rejection).
      '@typescript-eslint/require-await': 'off',
      // Off: the code strips control characters on purpose (storable text, RowKeys, card text).
      'no-control-regex': 'off',
      // Off: every hit was String() of an untyped value (a Table column, parsed JSON, an error) narrowed to `{}`:
      // the deliberate coercion. restrict-template-expressions still checks template strings.
      '@typescript-eslint/no-base-to-string': 'off',
      // An AbortSignal's reason is `any` by the platform's own typing; rejecting with it is the convention.
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // Tests read JSON bodies and feed deliberately ill-typed input to validators; the assertions check the shape.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Tests save and restore methods (process.stderr.write) and hand route handlers around.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
