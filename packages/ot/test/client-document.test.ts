import { RealtimeClient } from '@org/realtime-client'
import { document, installDocuments } from '@org/realtime-ot/client'
import { describe, expect, it } from 'vitest'
import { connectedClient } from '../../../test/support.js'
import { converged, startDocServer } from './doc-support.js'

describe('client.document(id)', () => {
  it('opens the same document as document(client, id) once installed', async () => {
    installDocuments(RealtimeClient)
    installDocuments(RealtimeClient)
    const { url, docs } = await startDocServer({ load: () => 'hi' })
    const client = await connectedClient(url)
    const doc = client.document('installed', { ackTimeoutMs: 5000 })
    expect(doc).toBe(document(client, 'installed'))
    expect(Object.keys(RealtimeClient.prototype)).not.toContain('document')
    await doc.ready
    doc.insert(2, ' there')
    expect(await converged(docs, 'installed', [doc])).toBe('hi there')
  })
})
