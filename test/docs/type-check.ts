import { basename, dirname, join, resolve } from 'node:path'
import ts from 'typescript'
import type { CodeBlock } from './code-blocks.js'

/** A compiler error inside a block, located in its markdown file. */
export interface BlockDiagnostic {
  /** `file:line` of the markdown line the error is on. */
  at: string
  message: string
}

/**
 * Where a block lives while it is compiled: beside its markdown file, so that `react`, `express` or
 * `pg` resolve from that package's node_modules as they would for the reader.
 */
export function snippetPath(root: string, block: CodeBlock): string {
  const name = basename(block.file, '.md').replace(/[^\w-]/g, '_')
  return join(root, dirname(block.file), `__snippet__${name}-L${block.line}.${block.lang}`)
}

// "Cannot find name", "Cannot find name … Did you mean", "No value exists in scope for the shorthand property".
const UNDECLARED = new Set([2304, 2552, 18004])
// Server-side entry points win over client-side ones that export the same name (webSocketTransport).
const PREFERRED = ['@org/realtime-server', '@org/realtime-client', '@org/realtime-core']

function compilerOptions(root: string): ts.CompilerOptions {
  const configPath = join(root, 'tsconfig.typecheck.json')
  const config = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path))
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'))
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root, undefined, configPath)
  // A snippet may show a value it does not go on to use.
  // Private workspace packages that a README imports by name, as vitest resolves them.
  const paths = { ...parsed.options.paths, '@org/test-plugin-last-seen': ['./packages/test-plugin-last-seen/src/index.ts'] }
  return { ...parsed.options, paths, noEmit: true, jsx: ts.JsxEmit.ReactJSX, noUnusedLocals: false, noUnusedParameters: false }
}

/** name → the public entry point that exports it, and whether it is a value or only a type. */
function publicExports(program: ts.Program, entries: Map<string, string>): Map<string, { from: string; value: boolean }> {
  const checker = program.getTypeChecker()
  const names = new Map<string, { from: string; value: boolean }>()
  const specifiers = [...entries.keys()].sort((a, b) => rank(a) - rank(b))
  for (const specifier of specifiers) {
    const source = program.getSourceFile(entries.get(specifier)!)
    const module = source && checker.getSymbolAtLocation(source)
    if (!module) continue
    for (const symbol of checker.getExportsOfModule(module)) {
      if (names.has(symbol.name)) continue
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
      names.set(symbol.name, { from: specifier, value: (target.flags & ts.SymbolFlags.Value) !== 0 })
    }
  }
  return names
}

function rank(specifier: string): number {
  const index = PREFERRED.indexOf(specifier)
  return index === -1 ? PREFERRED.length + (specifier.endsWith('/client') ? 1 : 0) : index
}

/**
 * Type-checks every block as its own module against the workspace sources (the `paths` of
 * tsconfig.typecheck.json), with the ambient preludes declaring the app's own values that fragments
 * use undeclared. A block without any `import` is a fragment: the public exports it names are
 * imported for it (appended, so line numbers stay). A block with imports must import all it uses.
 */
export function typeCheckBlocks(root: string, blocks: CodeBlock[], preludes: string[]): BlockDiagnostic[] {
  const options = compilerOptions(root)
  const entries = new Map(Object.entries(options.paths ?? {}).map(([specifier, [target]]) => [specifier, resolve(options.pathsBasePath as string, target!)]))
  const virtual = new Map<string, { block: CodeBlock; text: string }>()
  for (const block of blocks) virtual.set(snippetPath(root, block), { block, text: block.code })
  const host = ts.createCompilerHost(options, true)
  const { getSourceFile, fileExists, readFile } = host
  host.fileExists = (path) => virtual.has(path) || fileExists.call(host, path)
  host.readFile = (path) => virtual.get(path)?.text ?? readFile.call(host, path)
  host.getSourceFile = (path, languageVersion, onError, shouldCreate) => {
    const entry = virtual.get(path)
    if (entry) return ts.createSourceFile(path, entry.text, languageVersion, true, entry.block.lang === 'tsx' ? ts.ScriptKind.TSX : ts.ScriptKind.TS)
    return getSourceFile.call(host, path, languageVersion, onError, shouldCreate)
  }
  const rootNames = () => [...preludes, ...entries.values(), ...virtual.keys()]
  const first = ts.createProgram({ rootNames: rootNames(), options, host })
  const exported = publicExports(first, entries)
  let amended = false
  for (const [path, entry] of virtual) {
    const source = first.getSourceFile(path)!
    if (source.statements.some((statement) => ts.isImportDeclaration(statement))) continue
    const imports = new Map<string, Set<string>>()
    for (const diagnostic of first.getSemanticDiagnostics(source)) {
      if (!UNDECLARED.has(diagnostic.code) || diagnostic.start === undefined) continue
      const name = source.text.slice(diagnostic.start, diagnostic.start + (diagnostic.length ?? 0))
      const found = exported.get(name)
      if (!found) continue
      const names = imports.get(found.from) ?? new Set<string>()
      names.add(found.value ? name : `type ${name}`)
      imports.set(found.from, names)
    }
    if (imports.size === 0) continue
    amended = true
    entry.text += '\n' + [...imports].map(([from, names]) => `import { ${[...names].join(', ')} } from '${from}'`).join('\n') + '\n'
  }
  const program = amended ? ts.createProgram({ rootNames: rootNames(), options, host, oldProgram: first }) : first
  return diagnosticsOf(program, virtual, preludes)
}

function diagnosticsOf(program: ts.Program, virtual: Map<string, { block: CodeBlock }>, preludes: string[]): BlockDiagnostic[] {
  const text = (diagnostic: ts.Diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
  const found: BlockDiagnostic[] = [...program.getGlobalDiagnostics(), ...program.getOptionsDiagnostics()].map((d) => ({ at: 'compiler', message: text(d) }))
  for (const [path, { block }] of virtual) {
    const source = program.getSourceFile(path)
    if (!source) throw new Error(`the compiler did not load ${path}`)
    for (const diagnostic of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const { line } = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0)
      found.push({ at: `${block.file}:${block.line + 1 + line}`, message: text(diagnostic) })
    }
  }
  for (const prelude of preludes) {
    const source = program.getSourceFile(prelude)
    if (!source) throw new Error(`the compiler did not load ${prelude}`)
    for (const diagnostic of program.getSemanticDiagnostics(source)) found.push({ at: prelude, message: text(diagnostic) })
  }
  return found
}
