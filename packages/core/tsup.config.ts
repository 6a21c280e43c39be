import { defineConfig } from 'tsup'
import { packageConfig } from '../../tsup.shared.js'

export default defineConfig(packageConfig({ index: 'src/index.ts', http: 'src/http.ts', 'http-client': 'src/http-client.ts' }, 'neutral'))
