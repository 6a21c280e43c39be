import { fileURLToPath } from 'node:url'
import { pollingTransport as pollingClient } from '@org/realtime-transport-polling/client'
import { sseTransport as sseClient } from '@org/realtime-transport-sse/client'
import { describe, expect, it, onTestFinished } from 'vitest'
import { runScript } from '../../../test/child-process.js'
import { createClient } from '../../../test/support.js'

const fixture = fileURLToPath(new URL('./fixtures/http-close-server.ts', import.meta.url))

describe('rt.close() with SSE and long-polling sessions', () => {
  it('leaves nothing that keeps the process alive, even for sessions whose client stopped asking', async () => {
    const server = await runScript(fixture, ['4'])
    onTestFinished(() => {
      server.process.kill()
    })
    const url = `http://127.0.0.1:${/port (\d+)/.exec(await server.line(/^port \d+$/))![1]}/realtime`
    // A long-polling client that took its welcome and stopped polling, and an SSE client whose stream dropped.
    const { sid, key } = (await (await fetch(`${url}?transport=polling&hello=1`)).json()) as { sid: string; key: string }
    expect(await (await fetch(`${url}?transport=polling&sid=${sid}`, { headers: { 'x-realtime-key': key } })).text()).toContain('"t":"welcome"')
    const dropped = new AbortController()
    const reader = ((await fetch(`${url}?transport=sse&hello=1`, { signal: dropped.signal })).body as ReadableStream<Uint8Array>).getReader()
    let text = ''
    for (let reads = 0; reads < 10 && !text.includes('"t":"welcome"'); reads++) text += new TextDecoder().decode((await reader.read()).value)
    dropped.abort()
    // Live clients of each transport, which the close reaches.
    createClient(url, { transports: [sseClient()], reconnection: false })
    createClient(url, { transports: [pollingClient()], reconnection: false })
    await server.line(/^closed$/, 10_000)
    const closedAt = performance.now()
    const exited = await Promise.race([server.exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 3000))])
    expect(exited).toBe(0)
    expect(performance.now() - closedAt).toBeLessThan(1000)
  })
})
