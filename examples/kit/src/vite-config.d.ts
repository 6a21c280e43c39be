import type { UserConfig } from 'vite'

/**
 * The Vite config of an example's page: `src/web/index.html` and what it imports, built into
 * `dist/web`, with the React plugin (`resolve.dedupe` of React).
 * @param configUrl the `import.meta.url` of the example's `vite.config.ts`
 */
export declare function exampleViteConfig(configUrl: string | URL): UserConfig
