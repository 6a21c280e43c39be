import { readdirSync, readFileSync, existsSync } from 'node:fs'
import { join, relative } from 'node:path'

/** A fenced TypeScript block of a markdown file. */
export interface CodeBlock {
  /** The markdown file, relative to the repository root. */
  file: string
  /** 1-based line of the opening fence. */
  line: number
  lang: 'ts' | 'tsx'
  code: string
  /** Set when an `<!-- not-checked: reason -->` comment precedes the block. */
  notChecked?: string
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/
const LANGS: Record<string, 'ts' | 'tsx'> = { ts: 'ts', typescript: 'ts', tsx: 'tsx' }
const OPT_OUT = /^\s*<!--\s*not-checked:\s*(.*?)\s*-->\s*$/

/** Every ```ts, ```typescript and ```tsx block of one markdown text, with its opt-out if any. */
export function extractCodeBlocks(file: string, text: string): CodeBlock[] {
  const lines = text.split('\n')
  const blocks: CodeBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!)
    if (!open) continue
    const [, indent = '', fence = '', info = ''] = open
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length; j++) {
      const close = FENCE.exec(lines[j]!)
      if (close && close[2]!.startsWith(fence[0]!) && close[2]!.length >= fence.length && close[3] === '') break
      body.push(lines[j]!.startsWith(indent) ? lines[j]!.slice(indent.length) : lines[j]!.trimStart())
    }
    const lang = LANGS[info.toLowerCase()]
    if (lang) {
      let k = i - 1
      while (k >= 0 && lines[k]!.trim() === '') k--
      const optOut = k >= 0 ? OPT_OUT.exec(lines[k]!) : null
      blocks.push({ file, line: i + 1, lang, code: body.join('\n'), ...(optOut ? { notChecked: optOut[1] || '(no reason given)' } : {}) })
    }
    i = j
  }
  return blocks
}

/** The markdown files whose blocks are checked: docs/*.md, README.md, packages/*\/README.md, examples/*\/README.md. */
export function documentedFiles(root: string): string[] {
  const files: string[] = []
  const docs = join(root, 'docs')
  for (const name of readdirSync(docs).sort()) if (name.endsWith('.md')) files.push(join(docs, name))
  files.push(join(root, 'README.md'))
  for (const dir of ['packages', 'examples']) {
    for (const name of readdirSync(join(root, dir)).sort()) {
      const readme = join(root, dir, name, 'README.md')
      if (existsSync(readme)) files.push(readme)
    }
  }
  return files.map((file) => relative(root, file))
}

/** Every TypeScript block of every documented file. */
export function collectCodeBlocks(root: string): CodeBlock[] {
  return documentedFiles(root).flatMap((file) => extractCodeBlocks(file, readFileSync(join(root, file), 'utf8')))
}
