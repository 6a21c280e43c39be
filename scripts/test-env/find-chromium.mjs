// Where the browser tests find Chrome or Chromium. Used by scripts/setup-test-env.mjs (which
// installs Debian's Chromium when it finds none and can) and by test/browser.ts, so both agree.
import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, join } from 'node:path'

/** Names a Chrome or Chromium executable goes by on PATH, in the order they are preferred. */
export const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome', 'chrome']

/** Where Chrome and Chromium install themselves, looked at after PATH. */
export const CHROMIUM_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/lib/chromium/chromium',
  '/snap/bin/chromium',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
  '/opt/google/chrome/chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
]

/** One sentence: what to do when no browser is found (and none could be installed). */
export const CHROMIUM_MISSING =
  'No Chrome or Chromium found for the browser tests: install Chromium (Debian or Ubuntu: `sudo apt-get install chromium fonts-liberation`) ' +
  'or set CHROMIUM_PATH to a Chrome or Chromium executable.'

/** Whether `path` is a file this process may execute. */
export function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** The first of `names` found on `searchPath` (a PATH value), or undefined. */
export function onPath(names, searchPath = process.env.PATH ?? '') {
  for (const dir of searchPath.split(delimiter)) {
    if (dir === '') continue
    for (const name of names) {
      const candidate = join(dir, name)
      if (isExecutable(candidate)) return candidate
    }
  }
  return undefined
}

/**
 * The Chrome or Chromium to drive: `CHROMIUM_PATH` when set (an error when it names no
 * executable), else the first of {@link CHROMIUM_NAMES} on PATH, else the first of `paths` that
 * exists. `{ path: undefined }` when there is none.
 */
export function findChromium({ env = process.env, paths = CHROMIUM_PATHS } = {}) {
  const configured = env.CHROMIUM_PATH
  if (configured !== undefined && configured !== '') {
    if (isExecutable(configured)) return { path: configured, from: 'CHROMIUM_PATH' }
    return { path: undefined, error: `CHROMIUM_PATH is ${configured}, which is not an executable file: point it at a Chrome or Chromium executable, or unset it.` }
  }
  const found = onPath(CHROMIUM_NAMES, env.PATH ?? '')
  if (found !== undefined) return { path: found, from: 'PATH' }
  const installed = paths.find(isExecutable)
  if (installed !== undefined) return { path: installed, from: 'a common location' }
  return { path: undefined, error: CHROMIUM_MISSING }
}
