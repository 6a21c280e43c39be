import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.shared.js'

// `client` is the browser-safe build (platform WebSocket); `client-node` is the same transport on
// `ws`. package.json picks between them with the "node" export condition.
export default defineConfig(
  packageConfig({ server: 'src/server.ts', client: 'src/client.ts', 'client-node': 'src/client-node.ts' }, 'node'),
)
