/**
 * Collaborative editing through a real server: our `documents()` plugin (`@org/realtime-ot`) over
 * WebSocket next to ShareDB 7 (in-memory backend, `ot-text-unicode`, a `ws` server with a JSON
 * stream per socket; see editor-server.mjs). Two measures, each run in a fresh server process
 * (started with --expose-gc) and a fresh load process (editor-load.mjs):
 * - submit-and-ack round trips per second: `editors` clients, each on its own connection and
 *   document, insert one character and wait for the server's acknowledgement before the next;
 *   checked against the documents' lengths on both sides; with the server's and the clients' CPU
 *   time per round trip (steadier than round trips/s on a busy machine);
 * - memory per open document: the server's heap after a full GC, once before and once after one
 *   connection opened (subscribed to) `documents` documents of `initialKb` KB each, divided by
 *   `documents`.
 * Run it alone: `node bench/run.mjs --only editor` (quick) or with `--full`.
 */
import { fileURLToPath } from 'node:url'
import { spawnChild } from '../lib/ipc.mjs'

const serverFile = fileURLToPath(new URL('./editor-server.mjs', import.meta.url))
const loadFile = fileURLToPath(new URL('./editor-load.mjs', import.meta.url))

/** A text of `kb` × 1024 code points, lines of words with an emoji now and then. */
function initialTextOf(kb) {
  const words = ['lorem', 'ipsum', 'dolor', 'sit', 'amet', '🙂', 'consectetur', 'adipiscing', 'elit']
  let text = ''
  for (let i = 0; [...text].length < kb * 1024; i++) text += words[i % words.length] + (i % 12 === 11 ? '\n' : ' ')
  return [...text].slice(0, kb * 1024).join('')
}

export default {
  name: 'editor',
  title: (size) =>
    `collaborative editing: ${size.editors} editors each submitting and awaiting acks for ${size.seconds} s; ${size.documents.toLocaleString('en')} open documents of ${size.initialKb} KB`,
  impls: ['ours', 'sharedb'],
  sizes: {
    quick: { editors: 10, seconds: 3, documents: 500, initialKb: 1 },
    full: { editors: 50, seconds: 10, documents: 5000, initialKb: 1 },
  },
  metrics: [
    { key: 'roundTripsPerSec', label: 'submit-and-ack round trips/s', better: 'higher', digits: 0 },
    { key: 'p50Ms', label: 'round trip p50 ms', better: 'lower', digits: 2 },
    { key: 'p99Ms', label: 'round trip p99 ms', better: 'lower', digits: 2 },
    { key: 'serverCpuPerRoundTrip', label: 'server CPU µs per round trip', better: 'lower', digits: 1 },
    { key: 'clientCpuPerRoundTrip', label: 'client CPU µs per round trip (all editors in one process)', better: 'lower', digits: 1 },
    { key: 'heapPerDocKiB', label: 'server heap per open document, KiB', better: 'lower', digits: 2 },
  ],
  async run(impl, size, { serverFlags = [] } = {}) {
    const initialText = initialTextOf(size.initialKb)
    const result = {}
    {
      const server = spawnChild(serverFile, [impl], { execArgv: ['--expose-gc', ...serverFlags], name: `editor-server(${impl})` })
      const load = spawnChild(loadFile, [], { name: `editor-load(${impl})` })
      try {
        const { port } = await server.call('start', { initialText, documentCount: size.documents }, 20_000)
        await load.call('prepare', { impl, port, editors: size.editors, initialText }, 120_000)
        await server.call('cpuStart')
        const rt = await load.call('measure', { impl, seconds: size.seconds }, size.seconds * 1000 + 60_000)
        const { cpuUs } = await server.call('cpuStop')
        const lengths = await server.call('lengths', { ids: rt.lengths.map((_, i) => `bench-${i}`) }, 60_000)
        if (JSON.stringify(lengths) !== JSON.stringify(rt.lengths)) throw new Error(`editor(${impl}): the server's documents (${lengths}) differ from the clients' (${rt.lengths})`)
        Object.assign(result, {
          roundTripsPerSec: rt.roundTrips / rt.seconds,
          p50Ms: rt.p50Ms,
          p99Ms: rt.p99Ms,
          serverCpuPerRoundTrip: cpuUs / rt.roundTrips,
          clientCpuPerRoundTrip: rt.cpuUs / rt.roundTrips,
        })
      } finally {
        await stop(server, load)
      }
    }
    {
      const server = spawnChild(serverFile, [impl], { execArgv: ['--expose-gc'], name: `editor-server(${impl})` })
      const load = spawnChild(loadFile, [], { name: `editor-load(${impl})` })
      try {
        const { port } = await server.call('start', { initialText, documentCount: size.documents }, 20_000)
        // Warm the server's code paths (and ShareDB's lazily created structures) on other documents first.
        await load.call('open', { impl, port, count: 50, initialText, prefix: 'warm' }, 120_000)
        const before = await server.call('heap')
        const { opened } = await load.call('open', { impl, port, count: size.documents, initialText }, 600_000)
        if (opened !== size.documents) throw new Error(`editor(${impl}): ${opened} of ${size.documents} documents opened with their text`)
        const after = await server.call('heap')
        result.heapPerDocKiB = (after - before) / size.documents / 1024
      } finally {
        await stop(server, load)
      }
    }
    return result
  },
}

async function stop(server, load) {
  await load.call('closeAll', {}, 10_000).catch(() => {})
  load.notify('exit')
  await load.stop(10_000).catch(() => {})
  await server.call('close', {}, 20_000).catch(() => {})
  await server.stop(10_000).catch(() => {})
}
