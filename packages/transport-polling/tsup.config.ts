import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.shared.js'

export default defineConfig(packageConfig({ server: 'src/server.ts', client: 'src/client.ts' }, 'neutral'))
