#!/usr/bin/env node
// `pnpm docs:site`: renders the guides, the protocol, the error list and every README into a
// static site in docs/site/ (or --out <dir>), with the typedoc API reference in <out>/api.
// Relative links between .md files point at the rendered .html pages.
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, posix, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gettingStarted, guides, reference } from './guides.mjs'
import { page, renderMarkdown, style } from './render.mjs'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

/** The markdown files that seed the site; linked .md files are added as they are found. */
function seeds(root) {
  const files = readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)
  files.push('README.md')
  for (const dir of ['packages', 'examples']) {
    for (const name of readdirSync(join(root, dir)).sort()) if (existsSync(join(root, dir, name, 'README.md'))) files.push(`${dir}/${name}/README.md`)
  }
  return files
}

function titleOf(markdown, fallback) {
  return /^#\s+(.+)$/m.exec(markdown)?.[1]?.replace(/[`*_]/g, '').trim() ?? fallback
}

function rootOf(sitePath) {
  const depth = sitePath.split('/').length - 1
  return '../'.repeat(depth)
}

/**
 * Builds the site. Returns the pages written (site paths), the guides of the table of contents that
 * do not exist, and relative links whose target is not in the repository.
 */
export function buildSite({ root = repoRoot, out = join(repoRoot, 'docs/site'), api = true } = {}) {
  rmSync(out, { recursive: true, force: true })
  mkdirSync(out, { recursive: true })
  const queue = seeds(root)
  const done = new Set()
  const pages = []
  const broken = []
  const titles = new Map()
  while (queue.length > 0) {
    const file = queue.shift()
    if (done.has(file)) continue
    done.add(file)
    const markdown = readFileSync(join(root, file), 'utf8')
    const resolveLink = (target) => {
      let path = target
      if (existsSync(join(root, path)) && statSync(join(root, path)).isDirectory()) path = posix.join(path, 'README.md')
      if (!existsSync(join(root, path)) || path.startsWith('..')) {
        broken.push(`${file} → ${target}`)
        return target
      }
      if (path.endsWith('.md')) {
        queue.push(path)
        return path.replace(/\.md$/, '.html')
      }
      mkdirSync(dirname(join(out, path)), { recursive: true })
      copyFileSync(join(root, path), join(out, path))
      return path
    }
    const body = renderMarkdown(file, markdown, resolveLink)
    const sitePath = file.replace(/\.md$/, '.html')
    const title = titleOf(markdown, file)
    titles.set(file, title)
    mkdirSync(dirname(join(out, sitePath)), { recursive: true })
    writeFileSync(join(out, sitePath), page({ title, body, root: rootOf(sitePath) }))
    pages.push(sitePath)
  }
  const missing = [gettingStarted, ...guides, ...reference].filter(({ file }) => !existsSync(join(root, file))).map(({ file }) => file)
  writeFileSync(join(out, 'index.html'), indexPage(titles))
  writeFileSync(join(out, 'style.css'), style)
  pages.push('index.html')
  if (api) {
    // `pnpm docs:check` is the strict gate on the API docs; here a warning does not stop the site.
    const args = ['--out', join(out, 'api'), '--disableSources', '--treatWarningsAsErrors', 'false', '--treatValidationWarningsAsErrors', 'false', '--logLevel', 'Error']
    try {
      execFileSync(join(root, 'node_modules/.bin/typedoc'), args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    } catch (error) {
      throw new Error(`typedoc failed:\n${error.stdout}${error.stderr}`)
    }
    pages.push('api/index.html')
  }
  return { pages, missing, broken }
}

function indexPage(titles) {
  const item = ({ topic, file, hash }) =>
    titles.has(file) ? `<li><a href="${file.replace(/\.md$/, '.html')}${hash ? `#${hash}` : ''}">${topic}</a></li>` : `<li>${topic} (not written yet)</li>`
  const readmes = [...titles.keys()].filter((file) => /^(packages|examples)\//.test(file))
  const listOf = (prefix) =>
    readmes.filter((file) => file.startsWith(prefix)).map((file) => `<li><a href="${file.replace(/\.md$/, '.html')}">${titles.get(file)}</a></li>`).join('\n')
  const body = `<h1>@org/realtime</h1>
<p>Push data to browsers and Node clients the moment it exists, over WebSocket, Server-Sent Events or long-polling.</p>
<p><strong><a href="${gettingStarted.file.replace(/\.md$/, '.html')}">Getting started</a></strong> · <a href="README.html">README</a></p>
<h2>Guides</h2>
<ul>
${guides.map(item).join('\n')}
</ul>
<h2>Reference</h2>
<ul>
${reference.map(item).join('\n')}
<li><a href="api/index.html">API reference</a></li>
</ul>
<h2>Packages</h2>
<ul>
${listOf('packages/')}
</ul>
<h2>Examples</h2>
<ul>
${listOf('examples/')}
</ul>`
  return page({ title: 'Documentation', body, root: '' })
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--out')
  const out = at === -1 ? undefined : resolve(process.argv[at + 1])
  const { pages, missing, broken } = buildSite(out ? { out } : {})
  process.stdout.write(`docs site: ${pages.length} pages in ${out ?? 'docs/site'}\n`)
  for (const file of missing) process.stderr.write(`missing guide: ${file}\n`)
  for (const link of broken) process.stderr.write(`broken link: ${link}\n`)
  if (broken.length > 0) process.exitCode = 1
}
