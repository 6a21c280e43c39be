import { loadStaticFiles, type StaticFiles } from './static-files.js'
import { defaultWebDir, ensureWebBuild } from './web-build.js'

/** Where an example's server finds its built page: the options its `start…Server` takes. */
export interface BuiltPageOptions {
  /**
   * Directory of the built page (the Vite build of `src/web`), built there first when it is
   * missing or older than the sources; `false` serves no page, only the example's own routes.
   * @default the example's `dist/web`
   */
  webDir?: string | false
  /**
   * Whether to build the page into `webDir` when it is missing or older than its sources (the
   * example's `src/`, `vite.config.ts`, and the `dist` of the packages it bundles); `false` serves
   * `webDir` as it is (tests build it once for all their servers).
   * @default true
   */
  buildWeb?: boolean
}

/**
 * The files of the page of the example in `exampleDir`, in memory, for `staticFileHandler` or
 * `staticSiteHandler`: built first into `webDir` when needed (said through `logger.info`), none
 * when `webDir` is `false`.
 * @param logger where a build is said. @default silent
 */
export async function loadBuiltPage(exampleDir: string, { webDir = defaultWebDir(exampleDir), buildWeb = true }: BuiltPageOptions = {}, logger?: { info(message: string): void }): Promise<StaticFiles> {
  if (webDir === false) return new Map()
  if (buildWeb && (await ensureWebBuild({ exampleDir, outDir: webDir }))) logger?.info(`built the page into ${webDir}`)
  return loadStaticFiles(webDir)
}
