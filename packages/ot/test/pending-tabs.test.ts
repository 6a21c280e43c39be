import { document, localStoragePending, type KeyValueStorage, type PendingEdits } from '@org/realtime-ot/client'
import { afterEach, describe, expect, it } from 'vitest'
import { connectedClient, createClient, until } from '../../../test/support.js'
import { converged, memoryLocalStorage as sharedStorage, openDoc, startDocServer } from './doc-support.js'


/** A tab: its own connection and its own store on the shared storage, offline, with `text` typed at the end. */
async function offlineTab(url: string, storage: KeyValueStorage, id: string, text: string, leaseMs?: number) {
  const client = createClient(url, { autoConnect: true })
  const doc = document(client, id, { pending: localStoragePending(storage, undefined, { leaseMs }) })
  await doc.ready
  client.disconnect()
  doc.insert([...doc.text].length, text)
  return { client, doc }
}

/** A window whose `pagehide` the test can fire (Node has none). */
function fakeWindow(): { hide(): void; restore(): void } {
  const page = new EventTarget()
  const global = globalThis as unknown as Record<string, unknown>
  global.addEventListener = page.addEventListener.bind(page)
  global.removeEventListener = page.removeEventListener.bind(page)
  return {
    hide: () => page.dispatchEvent(new Event('pagehide')),
    restore: () => {
      delete global.addEventListener
      delete global.removeEventListener
    },
  }
}

let restoreWindow: (() => void) | undefined
afterEach(() => {
  restoreWindow?.()
  restoreWindow = undefined
})

describe('pending edits of several tabs', () => {
  it('keeps the pending edits of two tabs of one document apart', async () => {
    const { url, docs } = await startDocServer({ load: () => 'base' })
    const storage = sharedStorage()
    const a = await offlineTab(url, storage, 'tabs', ' A')
    const b = await offlineTab(url, storage, 'tabs', ' B')
    expect(a.doc.clientId).not.toBe(b.doc.clientId)
    expect([...storage.map.keys()].sort()).toEqual([`realtime-ot:tabs#${a.doc.clientId}`, `realtime-ot:tabs#${b.doc.clientId}`].sort())
    // More edits in both: neither overwrites the other's entry.
    a.doc.insert(0, '1')
    b.doc.insert(0, '2')
    const stored = [...storage.map.values()].map((value) => (JSON.parse(value) as { e: PendingEdits }).e)
    expect(stored.map((edits) => edits.clientId).sort()).toEqual([a.doc.clientId, b.doc.clientId].sort())
    a.client.connect()
    b.client.connect()
    const text = await converged(docs, 'tabs', [a.doc, b.doc])
    expect([...text].sort().join('')).toBe([...'21base A B'].sort().join(''))
    expect(storage.map.size).toBe(0)
  })

  it('recovers its own pending edits after a reload, given up on pagehide', async () => {
    const window = fakeWindow()
    restoreWindow = window.restore
    const { url, docs } = await startDocServer({ load: () => 'abc' })
    const storage = sharedStorage()
    const tab = await offlineTab(url, storage, 'reload', 'def')
    // The tab reloads: the old page's `pagehide`, then the new page opens the document.
    window.hide()
    tab.doc.close()
    const reloaded = document(await connectedClient(url), 'reload', { pending: localStoragePending(storage) })
    expect(reloaded.clientId).toBe(tab.doc.clientId)
    expect(reloaded.text).toBe('abcdef')
    await reloaded.ready
    expect(await converged(docs, 'reload', [reloaded])).toBe('abcdef')
    expect(storage.map.size).toBe(0)
    // Its own edits confirmed, it continues under a client id of its own.
    await until(() => reloaded.clientId !== tab.doc.clientId, 5000, 'a fresh client id')
  })

  it('leaves the entry of a tab that is still open alone', async () => {
    const { url, docs } = await startDocServer({ load: () => '' })
    const storage = sharedStorage()
    const a = await offlineTab(url, storage, 'alive', 'A')
    const { doc: c } = await openDoc(url, 'alive', { pending: localStoragePending(storage) })
    expect(c.text).toBe('')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(c.clientId).not.toBe(a.doc.clientId)
    expect(storage.map.size).toBe(1)
    a.client.connect()
    expect(await converged(docs, 'alive', [a.doc, c])).toBe('A')
  })

  it('submits the edits of tabs closed for good from the next tab that opens the document, once each', async () => {
    const { url, docs } = await startDocServer({ load: () => '' })
    const storage = sharedStorage()
    const a = await offlineTab(url, storage, 'closed', 'A')
    const b = await offlineTab(url, storage, 'closed', 'B')
    b.doc.insert(0, 'b')
    a.doc.close()
    b.doc.close()
    const { doc: c } = await openDoc(url, 'closed', { pending: localStoragePending(storage) })
    c.insert(0, 'C')
    const text = await converged(docs, 'closed', [c])
    await until(() => storage.map.size === 0 && c.status === 'synchronized', 10_000, 'both entries to be taken over')
    expect([...(await converged(docs, 'closed', [c]))].sort().join('')).toBe('ABCb')
    expect(text.includes('C')).toBe(true)
    expect(c.clientId).not.toBe(a.doc.clientId)
    expect(c.clientId).not.toBe(b.doc.clientId)
  })

  it('applies once an op in flight that the server committed before its tab closed', async () => {
    const { url, docs } = await startDocServer({ load: () => '' })
    const storage = sharedStorage()
    const { doc: a } = await openDoc(url, 'once')
    a.insert(0, 'x')
    await converged(docs, 'once', [a])
    // The tab closed before the confirmation arrived: its entry still holds the op in flight.
    const left: PendingEdits = { clientId: a.clientId, seq: 1, v: 0, base: '', inflight: { op: ['x'], s: 1 } }
    storage.setItem(`realtime-ot:once#${a.clientId}`, JSON.stringify({ e: left, o: 'gone', t: Date.now(), r: 1 }))
    const { doc: c } = await openDoc(url, 'once', { pending: localStoragePending(storage) })
    await until(() => storage.map.size === 0 && c.status === 'synchronized', 10_000, 'the entry to be taken over')
    expect(await converged(docs, 'once', [a, c])).toBe('x')
  })

  it('takes over the entry of a tab whose lease lapsed; that tab then drops its copy', async () => {
    const { url, docs } = await startDocServer({ load: () => '' })
    const storage = sharedStorage()
    const a = await offlineTab(url, storage, 'lapsed', 'A', 60_000)
    // The tab froze (a background tab): its entry was last renewed long ago.
    const key = `realtime-ot:lapsed#${a.doc.clientId}`
    const entry = JSON.parse(storage.getItem(key) ?? '{}') as { t: number }
    storage.setItem(key, JSON.stringify({ ...entry, t: Date.now() - 61_000 }))
    const { doc: c } = await openDoc(url, 'lapsed', { pending: localStoragePending(storage) })
    await until(() => c.text === 'A' && c.status === 'synchronized', 10_000, 'the lapsed edits to be sent')
    // The frozen tab wakes up and edits: it learns its entry was taken and does not send it again.
    a.doc.insert(0, 'a')
    expect(a.doc.clientId).not.toBe(c.clientId)
    a.client.connect()
    const text = await converged(docs, 'lapsed', [a.doc, c])
    expect([...text].sort().join('')).toBe('Aa')
  })

  it('bounds the entries left per document in count and age', () => {
    const storage = sharedStorage()
    const now = Date.now()
    const edits = (i: number): PendingEdits => ({ clientId: `c${i}`, seq: 1, v: 0, base: '', inflight: { op: [`${i}`], s: 1 } })
    for (let i = 0; i < 30; i++) storage.setItem(`realtime-ot:b#c${i}`, JSON.stringify({ e: edits(i), o: 'gone', t: now - i * 1000, r: 1 }))
    storage.setItem('realtime-ot:b#old', JSON.stringify({ e: edits(99), o: 'gone', t: now - 8 * 86_400_000, r: 1 }))
    storage.setItem('realtime-ot:other#c1', JSON.stringify({ e: edits(1), o: 'gone', t: now, r: 1 }))
    const store = localStoragePending(storage, undefined, { maxEntries: 16 })
    // The oldest of the 16 most recent is taken; the rest past 16, and the week-old one, are gone.
    expect(store.claim('b')?.clientId).toBe('c15')
    expect([...storage.map.keys()].filter((key) => key.startsWith('realtime-ot:b#'))).toHaveLength(16)
    expect(storage.map.has('realtime-ot:b#old')).toBe(false)
    expect(storage.map.has('realtime-ot:other#c1')).toBe(true)
    // A second tab does not take what the first owns.
    const other = localStoragePending(storage)
    const claimed = new Set<string>()
    for (let edit = other.claim('b'); edit !== undefined; edit = other.claim('b')) claimed.add(edit.clientId)
    expect(claimed.size).toBe(15)
    expect(claimed.has('c15')).toBe(false)
  })
})
