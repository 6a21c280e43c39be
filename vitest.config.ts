import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const packages = fileURLToPath(new URL('./packages/', import.meta.url))

export default defineConfig({
  resolve: {
    // Tests run against the sources, so no build is needed first. The first match wins.
    // Convention: `@org/realtime-<dir>` is packages/<dir>/src/index.ts and its subpath
    // `@org/realtime-<dir>/<name>` is packages/<dir>/src/<name>.ts (the tsup entry names).
    alias: [
      // Tests run in Node, so take the "node" builds of the WebSocket and SSE clients.
      {
        find: /^@org\/realtime-transport-(ws|sse)\/client$/,
        replacement: `${packages}transport-$1/src/client-node.ts`,
      },
      { find: /^@org\/realtime-([\w-]+)\/([\w-]+)$/, replacement: `${packages}$1/src/$2.ts` },
      { find: /^@org\/realtime-([\w-]+)$/, replacement: `${packages}$1/src/index.ts` },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
})
