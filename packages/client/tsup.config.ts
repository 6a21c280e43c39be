import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.shared.js'

export default defineConfig({
  ...packageConfig({ index: 'src/index.ts' }, 'neutral'),
  // Members of the internal classes (connector, session, channels…) end in `_`: esbuild gives them
  // short names, which a minifier cannot do for properties. Nothing public ends in `_`.
  esbuildOptions(options) {
    options.mangleProps = /_$/
  },
})
