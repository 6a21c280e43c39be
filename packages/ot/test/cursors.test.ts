import { memoryStorage } from '@org/realtime-ot/server'
import { describe, expect, it } from 'vitest'
import { until } from '../../../test/support.js'
import { converged, openDoc, startDocServer } from './doc-support.js'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Code point slice. */
const slice = (text: string, from: number, to: number): string => [...text].slice(Math.min(from, to), Math.max(from, to)).join('')

describe('remote cursors', () => {
  it('keep covering the text they selected through incoming ops, local ops and unconfirmed edits', { timeout: 60_000 }, async () => {
    // Commits take a while, so edits stay unconfirmed while cursors and other ops arrive.
    const inner = memoryStorage()
    const storage = { ...inner, append: async (...args: Parameters<typeof inner.append>) => (await sleep(20), inner.append(...args)) }
    const { url, docs } = await startDocServer({ load: () => 'one hello two', storage })
    const { doc: a } = await openDoc(url, 'cursor-ops')
    const { doc: b } = await openDoc(url, 'cursor-ops')
    const { doc: c } = await openDoc(url, 'cursor-ops')
    a.select(4, 9)
    await until(() => b.cursors.size === 1, 10_000, 'b to see the cursor')
    const checks = { count: 0, wrong: [] as string[] }
    const check = (): void => {
      const cursor = [...b.cursors.values()][0]
      if (cursor === undefined) return
      checks.count++
      const selected = slice(b.text, cursor.anchor, cursor.head)
      if (selected !== 'hello') checks.wrong.push(`${JSON.stringify(b.text)} [${cursor.anchor}, ${cursor.head}] → ${JSON.stringify(selected)}`)
    }
    b.on('cursors', check)
    b.on('change', check)
    // b and c edit before and after the selection while a moves its cursor on and off it.
    for (let i = 0; i < 30; i++) {
      for (const [doc, tag] of [[b, 'b'], [c, 'c']] as const) {
        const text = doc.text
        const at = text.indexOf('hello')
        // Next to the selection but not at its edge (where either side of the tie would be right).
        if (i % 2 === 0) doc.insert(i % 4 === 0 || at < 1 ? 0 : [...text.slice(0, at)].length - 1, `${tag}${i} `)
        else doc.insert([...text].length, ` ${tag}${i}`)
      }
      if (i % 10 === 5) {
        const at = a.text.indexOf('hello')
        a.select([...a.text.slice(0, at)].length, [...a.text.slice(0, at)].length + 5)
      }
      await sleep(5)
    }
    await converged(docs, 'cursor-ops', [a, b, c])
    await until(() => {
      const cursor = [...b.cursors.values()][0]
      return cursor !== undefined && cursor.anchor === a.selection?.[0] && cursor.head === a.selection?.[1]
    }, 10_000, "b's view of a's cursor to match a's selection")
    expect(checks.wrong).toEqual([])
    expect(checks.count).toBeGreaterThan(60)
    expect(slice(b.text, ...(a.selection ?? [0, 0]))).toBe('hello')
  })
})
