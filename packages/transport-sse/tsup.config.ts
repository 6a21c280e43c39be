import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.shared.js'

// `client` is the browser build (EventSource only); `client-node` adds the stream read with fetch
// for runtimes without EventSource. package.json picks between them with the "node" condition.
export default defineConfig(
  packageConfig({ server: 'src/server.ts', client: 'src/client.ts', 'client-node': 'src/client-node.ts' }, 'neutral'),
)
