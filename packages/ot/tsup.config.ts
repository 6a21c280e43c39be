import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.shared.js'

// Runs in browsers and Node.js: the server entry imports only types of the server package.
export default defineConfig(packageConfig({ index: 'src/index.ts', server: 'src/server.ts', client: 'src/client.ts' }, 'neutral'))
