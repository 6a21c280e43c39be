import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.shared.js'

// `neutral`: the client feature runs in browsers; the server plugin uses no Node.js built-in either.
export default defineConfig(packageConfig({ index: 'src/index.ts', client: 'src/client.ts' }, 'neutral'))
