import { defineConfig } from 'tsup'

export default defineConfig({
  // `client` is the browser-safe build (platform WebSocket); `client-node` is the same
  // transport on `ws`. package.json picks between them with the "node" export condition.
  entry: {
    server: 'src/server.ts',
    client: 'src/client.ts',
    'client-node': 'src/client-node.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  platform: 'node',
  target: 'node20',
})
