import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.shared.js'

// `client` imports no Node built-ins and only types of the client package, so it bundles for browsers too.
export default defineConfig(packageConfig({ index: 'src/index.ts', client: 'src/client.ts' }, 'node'))
