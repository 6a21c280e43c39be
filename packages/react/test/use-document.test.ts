// @vitest-environment happy-dom
import { document } from '@org/realtime-ot/client'
import { documents } from '@org/realtime-ot/server'
import type { RealtimePlugin } from '@org/realtime-server'
import { createElement as h, useState } from 'react'
import { describe, expect, it } from 'vitest'
import { RealtimeProvider } from '../src/index.js'
import { useDocument, type UseDocumentResult } from '../src/document.js'
import { startServer } from '../../../test/support.js'
import { connectedClient, mount, sleep, until, untilText } from './react-support.js'

/** A server with the documents plugin (documents named `missing*` do not exist), counting subscriptions. */
async function docServer() {
  const subscribed = new Map<string, number>()
  const counter: RealtimePlugin = { name: 'counter', afterSubscribe: (_conn, channel) => void subscribed.set(channel, (subscribed.get(channel) ?? 0) + 1) }
  const docs = documents({ load: (id) => (id.startsWith('missing') ? undefined : '') })
  const server = await startServer({ authorize: () => true, plugins: [docs, counter] })
  return { ...server, docs, subscribed }
}

let editor: UseDocumentResult | undefined

function Editor({ id }: { id: string }) {
  editor = useDocument(id)
  return h('p', null, `${id}:${editor.status}:${editor.error?.code ?? '-'}:[${editor.text}] undo=${String(editor.canUndo)}`)
}

describe('useDocument', () => {
  it('opens the document once under StrictMode, shows local and remote edits, and undoes', async () => {
    const { url, rt, subscribed } = await docServer()
    const client = await connectedClient(url)
    const tree = mount(h(RealtimeProvider, { client, releaseDelayMs: 100 }, h(Editor, { id: 'notes' })))
    await untilText(tree, 'notes:synchronized:-:[]')
    editor?.insert(0, 'hello')
    await untilText(tree, '[hello] undo=true')
    const other = await connectedClient(url)
    const theirs = document(other, 'notes')
    await theirs.ready
    await until(() => theirs.text === 'hello', 10_000, 'the other client to see the edit')
    theirs.insert(5, ' world')
    await untilText(tree, '[hello world]')
    editor?.undo()
    await untilText(tree, '[ world]')
    expect(subscribed.get('doc:notes')).toBe(2)
    tree.unmount()
    await until(() => theirs.text === ' world', 10_000, 'the undo to reach the other client')
    await sleep(300)
    // Only the other client's subscription remains.
    expect(await rt.in('doc:notes').count()).toBe(1)
  })

  it('closes the old document and opens the new one when the id changes', async () => {
    const { url, rt } = await docServer()
    const client = await connectedClient(url)
    let setId: (id: string) => void = () => {}
    function Switcher() {
      const [id, set] = useState('a')
      setId = set
      return h(Editor, { id })
    }
    const tree = mount(h(RealtimeProvider, { client, releaseDelayMs: 100 }, h(Switcher)))
    await untilText(tree, 'a:synchronized')
    setId('b')
    await untilText(tree, 'b:synchronized')
    let left = false
    const deadline = Date.now() + 10_000
    while (!left && Date.now() < deadline) {
      left = (await rt.in('doc:a').count()) === 0
      if (!left) await sleep(20)
    }
    expect(left).toBe(true)
    expect(await rt.in('doc:b').count()).toBe(1)
  })

  it('shows a document that does not exist as its error', async () => {
    const { url } = await docServer()
    const client = await connectedClient(url)
    const tree = mount(h(RealtimeProvider, { client }, h(Editor, { id: 'missing-1' })))
    await untilText(tree, 'missing-1:opening:NOT_FOUND:[]')
  })
})
