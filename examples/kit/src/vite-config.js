// JavaScript, not TypeScript: Vite bundles an example's vite.config.ts but loads the packages it
// imports with Node itself, which runs no TypeScript. Types: vite-config.d.ts.
import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'

/**
 * The Vite config of an example's page: `src/web/index.html` and what it imports, built into
 * `dist/web`, with the React plugin. Vite resolves `@org/realtime-*` through their `exports` maps
 * for the browser, so the WebSocket client is the one on the platform `WebSocket`, not `ws` (the
 * packages must be built).
 * @param {string | URL} configUrl the `import.meta.url` of the example's `vite.config.ts`
 * @returns {import('vite').UserConfig}
 */
export function exampleViteConfig(configUrl) {
  return {
    root: fileURLToPath(new URL('./src/web', configUrl)),
    base: '/',
    plugins: [react()],
    logLevel: 'warn',
    resolve: { dedupe: ['react', 'react-dom'] },
    build: { outDir: fileURLToPath(new URL('./dist/web', configUrl)), emptyOutDir: true },
  }
}
