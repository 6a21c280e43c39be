import { readdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Loaded only to build, serving needs no Vite; a name in a variable, so that a bundler packing a server leaves Vite out. */
const VITE = 'vite'

/** The kit's own sources: the page bundles its React pieces. */
const KIT_SOURCES = fileURLToPath(new URL('.', import.meta.url))

/** Where an example's page is built and served from. */
export interface WebBuildOptions {
  /** The example's directory, holding `vite.config.ts`, `package.json` and `src/`. */
  readonly exampleDir: string
  /**
   * Where the page goes.
   * @default `dist/web` in `exampleDir`
   */
  readonly outDir?: string
}

/** `dist/web` in `exampleDir`: where `pnpm start` keeps the built page. */
export function defaultWebDir(exampleDir: string): string {
  return join(exampleDir, 'dist', 'web')
}

/**
 * Builds the page with the example's `vite.config.ts` unless `outDir/index.html` is newer than
 * every source: the example's `src/`, `vite.config.ts` and `package.json`, the kit's sources, and
 * the `dist` of the `@org/*` packages it links. Returns whether it built.
 */
export async function ensureWebBuild({ exampleDir, outDir = defaultWebDir(exampleDir) }: WebBuildOptions): Promise<boolean> {
  const built = await modifiedAt(join(outDir, 'index.html'))
  if (built !== undefined && built >= (await newest(await sources(exampleDir)))) return false
  await buildWeb({ exampleDir, outDir })
  return true
}

/**
 * Builds the page now, with the example's `vite.config.ts`. It goes to a sibling directory
 * first, then replaces `outDir`, so a server never serves half a build.
 */
export async function buildWeb({ exampleDir, outDir = defaultWebDir(exampleDir) }: WebBuildOptions): Promise<void> {
  const { build } = (await import(VITE)) as typeof import('vite')
  const staging = `${outDir}.${process.pid}.tmp`
  await build({ configFile: join(exampleDir, 'vite.config.ts'), logLevel: 'warn', build: { outDir: staging, emptyOutDir: true, reportCompressedSize: false } })
  await rm(outDir, { recursive: true, force: true })
  await rename(staging, outDir)
}

/** What the page of the example in `exampleDir` is built from. */
async function sources(exampleDir: string): Promise<string[]> {
  const scope = join(exampleDir, 'node_modules', '@org')
  const linked = await readdir(scope).catch(() => [])
  return [join(exampleDir, 'src'), join(exampleDir, 'vite.config.ts'), join(exampleDir, 'package.json'), KIT_SOURCES, ...linked.map((name) => join(scope, name, 'dist'))]
}

async function modifiedAt(path: string): Promise<number | undefined> {
  return (await stat(path).catch(() => undefined))?.mtimeMs
}

/** The latest modification time of `paths` and of every file under them (those that exist). */
async function newest(paths: readonly string[]): Promise<number> {
  let latest = 0
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined)
    if (info === undefined) continue
    latest = Math.max(latest, info.mtimeMs)
    if (!info.isDirectory()) continue
    for (const entry of await readdir(path, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) latest = Math.max(latest, (await stat(join(entry.parentPath, entry.name))).mtimeMs)
    }
  }
  return latest
}
