import type { HistoryEntry } from '@org/realtime-server'

/** Version of what nodes write to Redis; a message of another version is ignored with a warning. */
export const WIRE_VERSION = 1

/** The origin node delivered the message to its own connections already (during an outage). */
export const FLAG_DELIVERED = 1
/** Only the origin node delivers the message (`rt.local`); the others just count its offset. */
export const FLAG_LOCAL = 2

/** A broadcast as a stream entry keeps it and a pub/sub message carries it. */
export interface WirePacket {
  readonly event: string
  readonly json: string | undefined
  readonly rooms: readonly string[]
  readonly except: readonly string[]
  /** Id of the node (or emitter) that sent it. */
  readonly origin: string
  readonly flags: number
  /** The sender's own sequence number, which tells a retried append from a new one. */
  readonly seq: number
}

/** A message heard on a pub/sub channel. */
export interface WireMessage extends WirePacket {
  /** The room history's epoch, or null for a message with no history (to everyone, or `recovery: false`). */
  readonly epoch: string | null
  /** Its offset in the room's history, or null. */
  readonly offset: number | null
  /** When it was appended (ms since the epoch), or 0. */
  readonly at: number
}

/**
 * The text of a packet: a JSON header, then a newline and the data as the broadcaster encoded it
 * (JSON text never holds a raw newline), so the data is neither decoded nor encoded again here.
 */
export function packetText(packet: WirePacket): string {
  const head = JSON.stringify([packet.event, packet.rooms, packet.except, packet.origin, packet.flags, packet.seq])
  return packet.json === undefined ? head : `${head}\n${packet.json}`
}

/** A pub/sub message of a packet that has no history (the append script writes the others). */
export function messageText(packet: WirePacket): string {
  return `[${WIRE_VERSION},null,null,0]\n${packetText(packet)}`
}

/** Why a message was refused. */
export type Refusal = 'malformed' | 'version'

/** Reads a pub/sub message; answers why not when it is not one of ours. */
export function parseMessage(text: string): WireMessage | Refusal {
  const cut = text.indexOf('\n')
  if (cut < 0) return 'malformed'
  let head: unknown
  try {
    head = JSON.parse(text.slice(0, cut))
  } catch {
    return 'malformed'
  }
  if (!Array.isArray(head) || head.length < 4) return 'malformed'
  if (head[0] !== WIRE_VERSION) return typeof head[0] === 'number' ? 'version' : 'malformed'
  const [, epoch, offset, at] = head as [number, unknown, unknown, unknown]
  if (epoch !== null && (typeof epoch !== 'string' || epoch === '')) return 'malformed'
  if (offset !== null && !(Number.isSafeInteger(offset) && (offset as number) > 0)) return 'malformed'
  if ((epoch === null) !== (offset === null) || typeof at !== 'number') return 'malformed'
  const packet = parsePacket(text.slice(cut + 1))
  if (packet === undefined) return 'malformed'
  return { ...packet, epoch, offset: offset as number | null, at }
}

/** Reads a packet's text; undefined when it is not one. */
export function parsePacket(text: string): WirePacket | undefined {
  const cut = text.indexOf('\n')
  const headText = cut < 0 ? text : text.slice(0, cut)
  let head: unknown
  try {
    head = JSON.parse(headText)
  } catch {
    return undefined
  }
  if (!Array.isArray(head) || head.length !== 6) return undefined
  const [event, rooms, except, origin, flags, seq] = head as unknown[]
  if (typeof event !== 'string' || typeof origin !== 'string' || !isStringList(rooms) || !isStringList(except)) return undefined
  if (!Number.isSafeInteger(flags) || !Number.isSafeInteger(seq)) return undefined
  const json = cut < 0 ? undefined : text.slice(cut + 1)
  if (json !== undefined && !isJson(json)) return undefined
  return { event, json, rooms, except, origin, flags: flags as number, seq: seq as number }
}

/** A stream entry (`[id, ['a', at, 'p', text]]`) as a history entry; undefined when it is not one of ours. */
export function parseEntry(raw: unknown): (HistoryEntry & { readonly packet: WirePacket }) | undefined {
  if (!Array.isArray(raw) || typeof raw[0] !== 'string' || !Array.isArray(raw[1])) return undefined
  const offset = Number.parseInt(raw[0], 10)
  const fields = raw[1] as unknown[]
  if (!Number.isSafeInteger(offset) || fields[0] !== 'a' || fields[2] !== 'p' || typeof fields[3] !== 'string') return undefined
  const at = Number(fields[1])
  const packet = parsePacket(fields[3])
  if (packet === undefined || !Number.isFinite(at)) return undefined
  return { event: packet.event, json: packet.json, rooms: packet.rooms, except: packet.except, offset, at, packet }
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}

/** Whether `text` is JSON: data from Redis goes to clients as it is, so it must be valid. */
function isJson(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}
