import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.shared.js'

export default defineConfig({
  ...packageConfig({ index: 'src/index.ts' }, 'neutral'),
  // Members of the internal classes (connector, session, channels…) end in `_`: esbuild gives them
  // short names, which a minifier cannot do for properties. Nothing public ends in `_`.
  // `minifySyntax` folds what an app's minifier, seeing one module at a time, leaves (6 B gzip);
  // names and whitespace stay, and the source maps lead back to the source.
  esbuildOptions(options) {
    options.mangleProps = /_$/
    options.minifySyntax = true
  },
})
