import { ErrorCode } from '@org/realtime-core'
import { document, localStoragePending, type KeyValueStorage } from '@org/realtime-ot/client'
import { DocumentErrorCode } from '@org/realtime-ot'
import { describe, expect, it } from 'vitest'
import { connectedClient, createClient, once, until } from '../../../test/support.js'
import { converged, memoryLocalStorage, openDoc, startDocServer } from './doc-support.js'


describe('documents', () => {
  it('opens a document with the text load gave', async () => {
    const { url } = await startDocServer({ load: () => 'héllo 👋' })
    const { doc } = await openDoc(url, 'a')
    expect(doc.text).toBe('héllo 👋')
    expect(doc.revision).toBe(0)
    expect(doc.status).toBe('synchronized')
  })

  it('says when it goes offline and when it is back, with nothing pending', async () => {
    const { url } = await startDocServer({ load: () => 'text' })
    const { client, doc } = await openDoc(url, 'online')
    const seen: boolean[] = []
    doc.on('status', () => seen.push(doc.online))
    client.disconnect()
    await until(() => seen.includes(false), 5000, 'the offline status')
    client.connect()
    await until(() => seen.at(-1) === true, 10_000, 'the online status')
    expect(doc.status).toBe('synchronized')
    expect(doc.text).toBe('text')
  })

  it('converges two clients typing at the same place at once, emoji included', async () => {
    const { url, docs } = await startDocServer()
    const { doc: a } = await openDoc(url, 'n')
    const { doc: b } = await openDoc(url, 'n')
    for (let i = 0; i < 20; i++) {
      a.insert(0, `a${i}👍`)
      b.insert([...b.text].length, `b${i}👎`)
    }
    const text = await converged(docs, 'n', [a, b])
    expect(a.text).toBe(text)
    for (let i = 0; i < 20; i++) {
      expect(text.split(`a${i}👍`).length).toBe(2)
      expect(text.split(`b${i}👎`).length).toBe(2)
    }
    // No lone surrogate anywhere.
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)).toBe(false)
  })

  it('applies a resent op (same client id and sequence number) once', async () => {
    const { url, docs } = await startDocServer()
    const { client, doc } = await openDoc(url, 'dedupe')
    doc.insert(0, 'x')
    await converged(docs, 'dedupe', [doc])
    const submit = { d: 'dedupe', v: 0, op: ['x'], c: doc.clientId, s: 1 }
    const answers = await Promise.all([client.emitWithAck('doc:submit', submit), client.emitWithAck('doc:submit', submit)])
    expect(answers).toEqual([{ v: 1 }, { v: 1 }])
    expect((await docs.read('dedupe')).text).toBe('x')
  })

  it('refuses bad input with a clear code and leaves the document unchanged', async () => {
    const { url, docs } = await startDocServer({ load: (id) => (id === 'missing' ? undefined : 'abc'), maxOpSize: 1000 })
    const client = await connectedClient(url)
    await client.channel('doc:bad').subscribe()
    const submit = (data: unknown): Promise<unknown> => client.emitWithAck('doc:submit', data)
    const base = { d: 'bad', v: 0, c: 'attacker', s: 1 }
    await expect(submit({ ...base, op: [5, 'x'] })).rejects.toMatchObject({ code: DocumentErrorCode.Conflict })
    await expect(submit({ ...base, op: [{ d: 'zz' }] })).rejects.toMatchObject({ code: DocumentErrorCode.Conflict })
    await expect(submit({ ...base, v: 7, op: ['x'] })).rejects.toMatchObject({ code: ErrorCode.InvalidOffset })
    await expect(submit({ ...base, op: [{ x: 1 }] })).rejects.toMatchObject({ code: ErrorCode.BadFrame })
    await expect(submit({ ...base, op: ['\uD83D'] })).rejects.toMatchObject({ code: ErrorCode.BadFrame })
    await expect(submit({ ...base, op: 'x' })).rejects.toMatchObject({ code: ErrorCode.BadFrame })
    await expect(submit({ ...base, c: 'no spaces', op: ['x'] })).rejects.toMatchObject({ code: ErrorCode.BadFrame })
    await expect(submit({ ...base, op: ['y'.repeat(2000)] })).rejects.toMatchObject({ code: ErrorCode.PayloadTooLarge })
    await expect(submit({ ...base, d: 'missing', op: ['x'] })).rejects.toMatchObject({ code: DocumentErrorCode.NotFound })
    await expect(client.emitWithAck('doc:open', { d: 'missing' })).rejects.toMatchObject({ code: DocumentErrorCode.NotFound })
    await expect(client.emitWithAck('doc:open', { d: 'bad', v: 99 })).rejects.toMatchObject({ code: ErrorCode.InvalidOffset })
    expect(await docs.read('bad')).toEqual({ text: 'abc', revision: 0 })
  })

  it('separates read and write permissions, composing with the app authorize', async () => {
    const { url } = await startDocServer(
      {},
      { authenticate: ({ auth }) => ({ role: (auth as { role: string }).role }), authorize: (conn, _channel, action) => action === 'subscribe' || conn.data.role === 'editor' },
    )
    const reader = await openDoc(url, 'perm', {}, await connectedClient(url, { auth: { role: 'reader' } }))
    const editor = await openDoc(url, 'perm', {}, await connectedClient(url, { auth: { role: 'editor' } }))
    editor.doc.insert(0, 'ok')
    await until(() => reader.doc.text === 'ok', 10_000, 'the reader to see the edit')
    const refused = once(reader.doc, 'error', 10_000)
    reader.doc.insert(0, 'no')
    expect(await refused).toMatchObject({ code: ErrorCode.Forbidden })
    await until(() => reader.doc.text === 'ok' && reader.doc.status === 'synchronized', 10_000, 'the reader to drop its edit')
    // Publishing on the document's channel directly is refused to everyone.
    await expect(editor.client.channel('doc:perm').publishWithAck('op', { v: 9, op: ['x'], c: 'x', s: 1 })).rejects.toMatchObject({ code: ErrorCode.Forbidden })
  })

  it('prunes the op log behind snapshots and saves them', async () => {
    const saved: Array<[string, number]> = []
    const { url, docs } = await startDocServer({ snapshotEvery: 5, save: (_id, text, v) => void saved.push([text, v]) })
    const { doc } = await openDoc(url, 'prune')
    for (let i = 0; i < 40; i++) {
      doc.insert(doc.text.length, String(i % 10))
      await until(() => doc.status === 'synchronized', 10_000, 'the edit to be confirmed')
    }
    expect(doc.revision).toBe(40)
    await until(() => saved.some(([, v]) => v === 40), 5000, 'the snapshot at 40')
    expect(docs.keptOps('prune')).toBeLessThanOrEqual(10)
    expect(saved.find(([, v]) => v === 40)?.[0]).toBe(doc.text)
  })

  it('rebases the pending edits of a client whose base revision was pruned', async () => {
    const { url, docs } = await startDocServer({ snapshotEvery: 3, load: () => 'hello world' })
    const { client: offline, doc: a } = await openDoc(url, 'stale')
    const { doc: b } = await openDoc(url, 'stale')
    // `a` goes away; `b` makes many edits meanwhile, pruning what `a` would need.
    offline.disconnect()
    a.insert(5, ' brave')
    for (let i = 0; i < 12; i++) {
      b.insert(0, `${i}.`)
      await until(() => b.status === 'synchronized', 10_000, 'b to commit')
    }
    await until(() => (docs.keptOps('stale') ?? 99) <= 6, 5000, 'the log to be pruned')
    offline.connect()
    const text = await converged(docs, 'stale', [a, b])
    expect(text.endsWith('hello brave world')).toBe(true)
    expect(text.startsWith('11.10.9.')).toBe(true)
  })

  it('keeps pending edits across a page reload with localStoragePending', async () => {
    const { url, docs } = await startDocServer({ load: () => 'abc' })
    const storage = memoryLocalStorage()
    const first = createClient(url, { autoConnect: true })
    const doc = document(first, 'reload', { pending: localStoragePending(storage) })
    await doc.ready
    // The page goes offline, edits, and is closed before anything reaches the server.
    first.disconnect()
    doc.insert(3, 'def')
    doc.insert(0, '>')
    expect(storage.map.size).toBe(1)
    // The page unloads: it gives its entry up (as on `pagehide`) for the reloaded page.
    doc.close()
    const second = await connectedClient(url)
    const reloaded = document(second, 'reload', { pending: localStoragePending(storage) })
    expect(reloaded.clientId).toBe(doc.clientId)
    await reloaded.ready
    const text = await converged(docs, 'reload', [reloaded])
    expect(text).toBe('>abcdef')
    expect(storage.map.size).toBe(0)
  })

  it('undoes only its own edit past the edits of others (the Firepad scenario)', async () => {
    const { url, docs } = await startDocServer()
    const { doc: a } = await openDoc(url, 'undo')
    const { doc: b } = await openDoc(url, 'undo')
    a.insert(0, 'abc')
    await converged(docs, 'undo', [a, b])
    b.insert(0, 'XYZ')
    await converged(docs, 'undo', [a, b])
    a.insert(6, 'def')
    await converged(docs, 'undo', [a, b])
    b.insert(3, '-')
    await converged(docs, 'undo', [a, b])
    expect(a.text).toBe('XYZ-abcdef')
    expect(a.undo()).toBe(true)
    expect(a.text).toBe('XYZ-abc')
    expect(a.undo()).toBe(true)
    expect(a.text).toBe('XYZ-')
    expect(a.undo()).toBe(false)
    await converged(docs, 'undo', [a, b])
    expect(b.text).toBe('XYZ-')
    expect(a.redo()).toBe(true)
    expect(a.text).toBe('XYZ-abc')
    expect(await converged(docs, 'undo', [a, b])).toBe('XYZ-abc')
  })

  it('shows remote cursors moved by every op', async () => {
    const { url, docs } = await startDocServer({ load: () => 'hello world', cursorInfo: () => ({ name: 'ada' }) })
    const { doc: a } = await openDoc(url, 'cur')
    const { doc: b } = await openDoc(url, 'cur')
    a.select(6, 11)
    await until(() => b.cursors.size === 1, 10_000, 'b to see the cursor')
    expect([...b.cursors.values()][0]).toMatchObject({ anchor: 6, head: 11, info: { name: 'ada' } })
    b.insert(0, '>> ')
    await until(() => [...b.cursors.values()][0]?.anchor === 9, 10_000, 'the cursor to move')
    expect([...b.cursors.values()][0]?.head).toBe(14)
    await converged(docs, 'cur', [a, b])
    expect(a.selection).toEqual([9, 14])
    a.close()
    await until(() => b.cursors.size === 0, 10_000, 'the cursor to go')
  })
})
