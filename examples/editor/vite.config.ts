import { exampleViteConfig } from '@org/example-kit/vite-config'

/** The page: `src/web` built into `dist/web` (the server builds it when stale: `ensureWebBuild` of the kit). */
export default exampleViteConfig(import.meta.url)
