import { readFileSync } from 'node:fs'

/** docs/protocol.md, whose "## Examples" seed the fuzzers and whose frame table is their oracle. */
export const protocolDoc = readFileSync(new URL('../docs/protocol.md', import.meta.url), 'utf8')

/** Every example frame line of the spec's "## Examples" section. */
export function specExamples(doc: string = protocolDoc): string[] {
  const section = doc.slice(doc.indexOf('\n## Examples'))
  return [...section.matchAll(/^```[\w-]+\n([\s\S]*?)^```$/gm)].flatMap((match) => (match[1] ?? '').split('\n').filter((line) => line.length > 0))
}

/** JSON text as a tree that can hold what `JSON.stringify` never writes: raw number tokens, duplicate and `__proto__` keys. */
export type Node = { raw: string } | { arr: Node[] } | { obj: Array<[string, Node]> }

/** The JSON text of `node`. */
export function render(node: Node): string {
  if ('raw' in node) return node.raw
  if ('arr' in node) return `[${node.arr.map(render).join(',')}]`
  return `{${node.obj.map(([key, value]) => `${JSON.stringify(key)}:${render(value)}`).join(',')}}`
}

/** The tree of a JSON value. */
export function toNode(value: unknown): Node {
  if (Array.isArray(value)) return { arr: value.map(toNode) }
  if (value !== null && typeof value === 'object') return { obj: Object.entries(value).map(([key, child]) => [key, toNode(child)]) }
  return { raw: JSON.stringify(value) }
}

/** A raw JSON token. */
export const raw = (text: string): Node => ({ raw: text })
/** A JSON string. */
export const str = (text: string): Node => raw(JSON.stringify(text))
