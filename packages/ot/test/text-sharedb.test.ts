/** The text type registered with ShareDB (in-memory backend, two local connections) converges. */
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { type TextOp, type TextSnapshot, textType } from '../src/text/index.js'

interface ShareDoc {
  data: TextSnapshot
  version: number
  create(data: string, type: string, cb: (err?: Error) => void): void
  subscribe(cb: (err?: Error) => void): void
  submitOp(op: TextOp, cb: (err?: Error) => void): void
  hasWritePending(): boolean
  whenNothingPending(cb: () => void): void
}

const require = createRequire(import.meta.url)
const ShareDB = require('sharedb') as {
  new (): { connect(): { get(collection: string, id: string): ShareDoc; close(): void }; close(cb?: () => void): void }
  types: { register(type: object): void }
}

const call = (fn: (cb: (err?: Error) => void) => void) =>
  new Promise<void>((resolve, reject) => fn((err) => (err ? reject(err) : resolve())))

describe('the text type in ShareDB', () => {
  it('converges two clients editing at once, emoji included, and stores plain text', async () => {
    ShareDB.types.register(textType)
    const backend = new ShareDB()
    const [c1, c2] = [backend.connect(), backend.connect()]
    const d1 = c1.get('docs', 'a')
    const d2 = c2.get('docs', 'a')
    await call((cb) => d1.create('hello 😀', textType.uri, cb))
    await call((cb) => d1.subscribe(cb))
    await call((cb) => d2.subscribe(cb))
    expect(d2.data.toString()).toBe('hello 😀')
    // Concurrent: both submit before either hears from the other.
    const done = Promise.all([
      call((cb) => d1.submitOp([5, ' there'], cb)),
      call((cb) => d2.submitOp([6, { d: '😀' }, '👍🏽'], cb)),
      call((cb) => d1.submitOp([0, 'Oh, '], cb)),
    ])
    await done
    await Promise.all([d1, d2].map((d) => new Promise<void>((resolve) => d.whenNothingPending(resolve))))
    for (let i = 0; i < 250 && (d1.version !== d2.version || d1.data.toString() !== d2.data.toString()); i++) await new Promise((r) => setTimeout(r, 20))
    expect(d1.version).toBe(d2.version)
    expect(d1.data.toString()).toBe(d2.data.toString())
    expect(d1.data.toString()).toBe('Oh, hello there 👍🏽')
    const stored = backend.connect().get('docs', 'a')
    await call((cb) => stored.subscribe(cb))
    expect(stored.data.toString()).toBe('Oh, hello there 👍🏽')
    await new Promise<void>((resolve) => backend.close(resolve))
  })
})
