import type { RealtimeClient } from '@org/realtime-client'
import { document, type ClientDocument, type DocumentOptions, type KeyValueStorage } from '@org/realtime-ot/client'
import { documents, type Documents, type DocumentsOptions } from '@org/realtime-ot/server'
import type { RealtimeServerOptions } from '@org/realtime-server'
import { connectedClient, startServer, until } from '../../../test/support.js'

/** A server with the documents plugin, where everyone may read and write (unless `serverOptions` says otherwise). */
export async function startDocServer(
  options: Partial<DocumentsOptions> = {},
  serverOptions: RealtimeServerOptions<Record<string, any>> = {},
): Promise<{ url: string; docs: Documents }> {
  const docs = documents({ load: (id) => (id.startsWith('missing') ? undefined : ''), ...options })
  const { url } = await startServer<Record<string, any>>({ authorize: () => true, plugins: [docs], ...serverOptions })
  return { url, docs }
}

/** A connected client with document `id` open and loaded. */
export async function openDoc(url: string, id: string, options: DocumentOptions = {}, client?: RealtimeClient): Promise<{ client: RealtimeClient; doc: ClientDocument }> {
  const c = client ?? (await connectedClient(url))
  const doc = document(c, id, options)
  await doc.ready
  return { client: c, doc }
}

/** Waits until every document is synchronized with the server's text. */
export async function converged(docs: Documents, id: string, clients: ClientDocument[], timeoutMs = 15_000): Promise<string> {
  let text = ''
  await until(
    () => {
      if (!clients.every((doc) => doc.status === 'synchronized')) return false
      const first = clients[0]?.text
      return clients.every((doc) => doc.text === first && doc.revision === clients[0]?.revision)
    },
    timeoutMs,
    'documents to converge',
  )
  text = (await docs.read(id)).text
  return text
}

/** A Map-backed stand-in for `localStorage`, which the tabs of one origin share. */
export function memoryLocalStorage(): KeyValueStorage & { map: Map<string, string> } {
  const map = new Map<string, string>()
  return {
    map,
    get length() {
      return map.size
    },
    key: (i) => [...map.keys()][i] ?? null,
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  }
}
