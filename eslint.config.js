// `pnpm lint` (part of `pnpm test`): type-aware checks that the compiler does not make, above
// all promises nobody awaits or handles. One TypeScript program (tsconfig.typecheck.json, the one
// `pnpm typecheck` uses) serves every file, which keeps the run short.
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'docs/api/**', 'docs/site/**', 'coverage/**'],
  },
  {
    files: ['packages/*/src/**/*.ts', 'packages/*/test/**/*.ts', 'test/**/*.ts', 'examples/*/src/**/*.ts', 'examples/*/src/**/*.tsx', 'examples/*/vite.config.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        project: './tsconfig.typecheck.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise must be awaited, returned, or handled (`.catch`, or `void` to say it cannot fail).
      // A broadcast's `emit` may go unawaited: the server logs a failure itself (see BroadcastOperator.emit).
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          ignoreVoid: true,
          allowForKnownSafeCalls: [
            { from: 'file', name: 'emit', path: 'packages/server/src/broadcast.ts' },
            { from: 'file', name: 'emit', path: 'packages/server/src/server.ts' },
          ],
        },
      ],
      // No promise where a boolean or a void-returning callback is expected (an async listener
      // whose rejection nobody sees).
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
)
