import type { ChannelPosition } from '@org/realtime-core'
import type { HistoryEntry } from '../history.js'

/**
 * The `ack` frame answering a `hist` frame: a `HistoryPage` of `entries`, built around each
 * message's data as it was encoded when published, so that nothing kept is encoded again. The
 * same text as `encodeFrame({ t: 'ack', id, d: { ...position, complete, messages } })`.
 */
export function historyPageText(id: number, position: ChannelPosition, complete: boolean, entries: readonly HistoryEntry[]): string {
  const messages: string[] = []
  for (const entry of entries) {
    const head = `{"offset":${entry.offset},"event":${JSON.stringify(entry.event)}`
    messages.push(entry.json === undefined ? `${head}}` : `${head},"data":${entry.json}}`)
  }
  const page = `{"epoch":${JSON.stringify(position.epoch)},"offset":${position.offset},"complete":${complete},"messages":[${messages.join(',')}]}`
  return `{"t":"ack","id":${id},"d":${page}}`
}
