/** Names a Chrome or Chromium executable goes by on PATH, in the order they are preferred. */
export declare const CHROMIUM_NAMES: readonly string[]
/** Where Chrome and Chromium install themselves, looked at after PATH. */
export declare const CHROMIUM_PATHS: readonly string[]
/** One sentence: what to do when no browser is found (and none could be installed). */
export declare const CHROMIUM_MISSING: string
/** Whether `path` is a file this process may execute. */
export declare function isExecutable(path: string): boolean
/** The first of `names` found on `searchPath` (a PATH value), or undefined. */
export declare function onPath(names: readonly string[], searchPath?: string): string | undefined
/** Where the browser was found, or why none was. */
export type ChromiumLookup = { path: string; from: 'CHROMIUM_PATH' | 'PATH' | 'a common location' } | { path: undefined; error: string }
/**
 * The Chrome or Chromium to drive: `CHROMIUM_PATH` when set (an error when it names no
 * executable), else the first of `CHROMIUM_NAMES` on PATH, else the first of `paths` that exists.
 */
export declare function findChromium(options?: { env?: Record<string, string | undefined>; paths?: readonly string[] }): ChromiumLookup
