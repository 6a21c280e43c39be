/** Writing bench/RESULTS.md: its generated sections, and the commit a run measured. */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const repo = fileURLToPath(new URL('../..', import.meta.url))
export const resultsFile = fileURLToPath(new URL('../RESULTS.md', import.meta.url))

/**
 * Replaces the section `key` of RESULTS.md (between `<!-- bench:<key>:begin -->` and its end
 * marker) with `report`; a missing section is added under `heading`, before the line starting
 * with `before` when there is one, else at the end. The rest of the file is kept.
 */
export function writeSection(key, heading, report, before) {
  const begin = `<!-- bench:${key}:begin -->`
  const end = `<!-- bench:${key}:end -->`
  let text = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : '# Benchmark results\n'
  if (!text.includes(begin)) {
    const section = `${heading}\n\n${begin}\n${end}\n`
    const at = before === undefined ? -1 : text.indexOf(`\n${before}`)
    text = at === -1 ? `${text.trimEnd()}\n\n${section}` : `${text.slice(0, at + 1)}${section}\n${text.slice(at + 1)}`
  }
  const [head, rest] = text.split(begin)
  writeFileSync(resultsFile, `${head}${begin}\n${report}\n${end}${rest.slice(rest.indexOf(end) + end.length)}`)
  console.error(`Updated ${resultsFile}`)
}

/** The commit measured, e.g. `61aa5f5`, noting uncommitted changes in packages/. */
export function measuredCommit() {
  const dirty = git('status', '--porcelain', '--', 'packages').length > 0
  return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' with uncommitted changes in packages/' : ''}`
}

function git(...args) {
  try {
    return execFileSync('git', args, { cwd: repo }).toString().trim()
  } catch {
    return 'unknown'
  }
}
