import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.shared.js'

// `shims`: the CommonJS build gets `import.meta.url` (serve-client.ts finds dist/client from it).
export default defineConfig({ ...packageConfig({ index: 'src/index.ts' }, 'node'), shims: true })
