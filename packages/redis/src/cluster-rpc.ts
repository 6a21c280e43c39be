import { randomBytes } from 'node:crypto'
import type { Logger } from '@org/realtime-core'
import type { AdapterNode, RoomMember, SessionSnapshot } from '@org/realtime-server'
import type { Redis } from 'ioredis'
import type { KeySpace } from './keys.js'

/** What the nodes ask each other. */
type Question = { readonly kind: 'session'; readonly token: string } | { readonly kind: 'members'; readonly room: string }

/** Most questions of this node waiting for answers at once; past it a question is answered empty at once. */
const MAX_WAITING = 10_000

/** What the questions need. */
export interface RpcHost {
  readonly keys: KeySpace
  readonly nodeId: string
  /** The command connection, which publishes. */
  readonly cmd: Redis
  readonly node: AdapterNode
  /** Milliseconds to wait for the answers. */
  readonly timeoutMs: number
  readonly logger: Logger
}

interface Waiting {
  readonly kind: Question['kind']
  /** Answers still expected (the other nodes that heard the question). */
  expected: number
  readonly answers: unknown[]
  readonly done: (answers: unknown[]) => void
}

/**
 * Questions between the nodes of a cluster over Redis pub/sub: "who holds the session of this
 * token?" (and hand it over), "who is in this room?". A question goes to every node on the
 * control channel; each answers on the asker's own channel. `PUBLISH` says how many nodes heard
 * it, so the asker stops at the last answer, or after `timeoutMs` when a node does not answer.
 */
export class ClusterRpc {
  readonly #waiting = new Map<string, Waiting>()
  readonly #host: RpcHost

  constructor(host: RpcHost) {
    this.#host = host
  }

  /** This node's own channel, where answers to its questions come. */
  get replies(): string {
    return `${this.#host.keys.control}:${this.#host.nodeId}`
  }

  /** Moves the session of `token` here from the node that holds it. */
  async takeSession(token: string): Promise<SessionSnapshot | undefined> {
    const answers = await this.#ask({ kind: 'session', token })
    return answers.find((answer): answer is SessionSnapshot => typeof answer === 'object' && answer !== null)
  }

  /** The members of `room` on the other nodes. */
  async members(room: string): Promise<RoomMember[]> {
    const answers = await this.#ask({ kind: 'members', room })
    return answers.flatMap((answer) => (Array.isArray(answer) ? answer.filter(isMember) : []))
  }

  /** A message on the control channel or on this node's own. */
  receive(channel: string, text: string): void {
    let message: { v?: unknown; id?: unknown; from?: unknown; q?: Question; a?: unknown }
    try {
      message = JSON.parse(text) as typeof message
    } catch {
      return
    }
    if (message.v !== 1 || typeof message.id !== 'string' || typeof message.from !== 'string') return
    if (channel === this.replies) {
      const waiting = this.#waiting.get(message.id)
      if (waiting === undefined) return
      waiting.answers.push(message.a)
      if (--waiting.expected <= 0 || (waiting.kind === 'session' && message.a !== null)) waiting.done(waiting.answers)
      return
    }
    if (message.from === this.#host.nodeId || message.q === undefined) return
    const answer = this.#answer(message.q)
    const reply = JSON.stringify({ v: 1, id: message.id, from: this.#host.nodeId, a: answer ?? null })
    this.#host.cmd.publish(`${this.#host.keys.control}:${message.from}`, reply).catch((error: unknown) => {
      this.#host.logger.warn('answering another node failed', { error })
    })
  }

  close(): void {
    for (const waiting of [...this.#waiting.values()]) waiting.done(waiting.answers)
  }

  #answer(question: Question): unknown {
    const node = this.#host.node
    if (question.kind === 'session' && typeof question.token === 'string') return node.releaseSession(question.token)
    if (question.kind === 'members' && typeof question.room === 'string') return node.members(question.room).map(({ id, data, connected }) => ({ id, data, connected }))
    return undefined
  }

  async #ask(question: Question): Promise<unknown[]> {
    if (this.#waiting.size >= MAX_WAITING) return []
    const id = randomBytes(9).toString('base64url')
    const answers = new Promise<unknown[]>((resolve) => {
      const timer = setTimeout(() => finish(this.#waiting.get(id)?.answers ?? []), this.#host.timeoutMs)
      const finish = (answers: unknown[]): void => {
        clearTimeout(timer)
        this.#waiting.delete(id)
        resolve(answers)
      }
      this.#waiting.set(id, { kind: question.kind, expected: Infinity, answers: [], done: (got) => finish(got) })
    })
    const heard = await this.#host.cmd.publish(this.#host.keys.control, JSON.stringify({ v: 1, id, from: this.#host.nodeId, q: question }))
    const waiting = this.#waiting.get(id)
    if (waiting !== undefined) {
      // Every subscriber of the control channel heard it, this node included.
      waiting.expected = heard - 1 - waiting.answers.length
      if (waiting.expected <= 0) waiting.done(waiting.answers)
    }
    return answers
  }
}

/** Whether another node's answer holds a member as `node.members` lists them. */
function isMember(value: unknown): value is RoomMember {
  const member = value as Partial<RoomMember> | null
  return typeof member === 'object' && member !== null && typeof member.id === 'string' && typeof member.connected === 'boolean'
}
