import { readFileSync } from 'node:fs'

const README = new URL('../../README.md', import.meta.url)
const SECTION = 'A server and a client in ten lines'

/** Replaces the one occurrence of `find` in `code`, or says which README line the test relies on. */
function replaceOnce(code: string, find: string, replacement: string, what: string): string {
  const at = code.indexOf(find)
  if (at === -1 || code.indexOf(find, at + 1) !== -1) {
    throw new Error(`README.md's "${SECTION}" ${what} should contain \`${find}\` exactly once (test/consumer/readme-example.ts relies on it)`)
  }
  return code.slice(0, at) + replacement + code.slice(at + find.length)
}

/**
 * The README's ten-line server and client, read from README.md at test time so the test runs
 * what the README shows, with two changes: the server listens on `port` on 127.0.0.1 instead of
 * 3001 (and the client connects there), and each says when it is done (`ready`, then `done` after
 * the client's ack, when it disconnects).
 */
export function readmeExample(port: number): { server: string; client: string } {
  const markdown = readFileSync(README, 'utf8')
  const section = markdown.split(/^## /m).find((part) => part.startsWith(SECTION))
  if (section === undefined) throw new Error(`README.md has no "## ${SECTION}" section`)
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] as string)
  const server = blocks.find((block) => block.includes('new RealtimeServer('))
  const client = blocks.find((block) => block.includes('new RealtimeClient('))
  if (server === undefined || client === undefined) throw new Error(`README.md's "${SECTION}" has no ts block with the server or the client`)
  return {
    server: `${replaceOnce(server, 'rt.listen(3001)', `rt.listen(${port}, { host: '127.0.0.1' })`, 'server')}console.log('ready')\n`,
    client: `${replaceOnce(client, 'localhost:3001', `127.0.0.1:${port}`, 'client')}console.log('done')\nclient.disconnect()\n`,
  }
}

/**
 * `code` (an ES module with top-level await) as a CommonJS module for TypeScript: the imports stay
 * at the top (tsc turns them into `require` calls in a .cts file), the rest runs in an async function.
 */
export function asCommonJs(code: string): string {
  const lines = code.split('\n')
  const imports = lines.filter((line) => line.startsWith('import '))
  const body = lines.filter((line) => !line.startsWith('import '))
  return `${imports.join('\n')}\n\nvoid (async () => {\n${body.join('\n')}\n})()\n`
}
