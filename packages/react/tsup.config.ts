import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.shared.js'

// `neutral`: the hooks run in browsers and in Node.js (server rendering). React and the feature
// packages stay external: they are (peer) dependencies, never bundled.
export default defineConfig(
  packageConfig({ index: 'src/index.ts', presence: 'src/presence.ts', document: 'src/document.ts', table: 'src/table.ts' }, 'neutral'),
)
