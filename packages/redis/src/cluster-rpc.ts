import { randomBytes } from 'node:crypto'
import type { Logger } from '@org/realtime-core'
import type { AdapterNode, ForwardedAnswer, ForwardedRequest, RoomMember, SessionSnapshot } from '@org/realtime-server'
import type { Redis } from 'ioredis'
import type { KeySpace } from './keys.js'

/** What the nodes ask each other. */
type Question =
  | { readonly kind: 'session'; readonly token: string }
  | { readonly kind: 'members'; readonly room: string }
  | { readonly kind: 'request'; readonly request: ForwardedRequest }

/** Most questions of this node waiting for answers at once; past it a question is answered empty at once. */
const MAX_WAITING = 10_000
/** Sessions whose node this node remembers, to pass their requests straight to it. */
const MAX_KNOWN_HOLDERS = 10_000

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
  /** The node that answered (for a request: the node holding its session). */
  from?: string
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
  /** The node holding each HTTP session this node passed a request of on, oldest first. */
  readonly #holders = new Map<string, string>()
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
    const { answers } = await this.#ask({ kind: 'session', token })
    return answers.find((answer): answer is SessionSnapshot => typeof answer === 'object' && answer !== null)
  }

  /** The members of `room` on the other nodes. */
  async members(room: string): Promise<RoomMember[]> {
    const { answers } = await this.#ask({ kind: 'members', room })
    return answers.flatMap((answer) => (Array.isArray(answer) ? answer.filter(isMember) : []))
  }

  /**
   * Has the node that holds `request.sid` answer it: straight to that node when this one passed it
   * a request of the session before, else asking every node. Undefined when no node holds it.
   */
  async forward(request: ForwardedRequest, timeoutMs: number): Promise<ForwardedAnswer | undefined> {
    const question: Question = { kind: 'request', request }
    const holder = this.#holders.get(request.sid)
    if (holder !== undefined) {
      const answer = await this.#ask(question, timeoutMs, holder)
      if (answer.answer !== undefined) return answer.answer as ForwardedAnswer
      // It moved, or ended: ask everyone.
      this.#holders.delete(request.sid)
    }
    const asked = await this.#ask(question, timeoutMs)
    if (asked.answer === undefined || asked.from === undefined) return undefined
    this.#holders.set(request.sid, asked.from)
    if (this.#holders.size > MAX_KNOWN_HOLDERS) this.#holders.delete(this.#holders.keys().next().value as string)
    return asked.answer as ForwardedAnswer
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
    if (channel === this.replies && message.q === undefined) {
      const waiting = this.#waiting.get(message.id)
      if (waiting === undefined) return
      waiting.answers.push(message.a)
      if (message.a !== null && message.a !== undefined) waiting.from = message.from
      if (--waiting.expected <= 0 || (waiting.kind !== 'members' && message.a !== null)) waiting.done(waiting.answers)
      return
    }
    if (message.from === this.#host.nodeId || message.q === undefined) return
    const from = message.from
    const id = message.id
    const answer = this.#answer(message.q)
    if (isThenable(answer)) {
      answer.then(
        (value) => this.#reply(from, id, value),
        (error: unknown) => {
          this.#host.logger.warn('answering a request passed on by another node failed', { error })
          this.#reply(from, id, undefined)
        },
      )
    } else this.#reply(from, id, answer)
  }

  close(): void {
    for (const waiting of [...this.#waiting.values()]) waiting.done(waiting.answers)
  }

  #reply(to: string, id: string, answer: unknown): void {
    const reply = JSON.stringify({ v: 1, id, from: this.#host.nodeId, a: answer ?? null })
    this.#host.cmd.publish(`${this.#host.keys.control}:${to}`, reply).catch((error: unknown) => {
      this.#host.logger.warn('answering another node failed', { error })
    })
  }

  #answer(question: Question): unknown {
    const node = this.#host.node
    if (question.kind === 'session' && typeof question.token === 'string') return node.releaseSession(question.token)
    if (question.kind === 'request') return isForwardedRequest(question.request) ? node.answerRequest(question.request) : undefined
    if (question.kind === 'members' && typeof question.room === 'string') return node.members(question.room).map(({ id, data, connected }) => ({ id, data, connected }))
    return undefined
  }

  /** Asks every other node, or only node `to`; resolves with the answers, and for a single answer (a session, a request) that answer and who gave it. */
  async #ask(question: Question, timeoutMs = this.#host.timeoutMs, to?: string): Promise<{ answers: unknown[]; answer?: unknown; from?: string }> {
    if (this.#waiting.size >= MAX_WAITING) return { answers: [] }
    const id = randomBytes(9).toString('base64url')
    const answered = new Promise<{ answers: unknown[]; answer?: unknown; from?: string }>((resolve) => {
      const timer = setTimeout(() => finish(this.#waiting.get(id)?.answers ?? []), timeoutMs)
      const finish = (answers: unknown[]): void => {
        clearTimeout(timer)
        const from = this.#waiting.get(id)?.from
        this.#waiting.delete(id)
        const answer = answers.find((value) => value !== null && value !== undefined)
        resolve(from === undefined ? { answers } : { answers, answer, from })
      }
      this.#waiting.set(id, { kind: question.kind, expected: Infinity, answers: [], done: (got) => finish(got) })
    })
    const channel = to === undefined ? this.#host.keys.control : `${this.#host.keys.control}:${to}`
    const heard = await this.#host.cmd.publish(channel, JSON.stringify({ v: 1, id, from: this.#host.nodeId, q: question }))
    const waiting = this.#waiting.get(id)
    if (waiting !== undefined) {
      // Every subscriber of the control channel heard it, this node included; a node's own channel has one.
      waiting.expected = (to === undefined ? heard - 1 : heard) - waiting.answers.length
      if (waiting.expected <= 0) waiting.done(waiting.answers)
    }
    return answered
  }
}

/** Whether another node's answer holds a member as `node.members` lists them. */
function isMember(value: unknown): value is RoomMember {
  const member = value as Partial<RoomMember> | null
  return typeof member === 'object' && member !== null && typeof member.id === 'string' && typeof member.connected === 'boolean'
}

/** Whether another node's question holds a request as {@link ClusterRpc.forward} sends them. */
function isForwardedRequest(value: unknown): value is ForwardedRequest {
  const request = value as Partial<ForwardedRequest> | null
  if (typeof request !== 'object' || request === null) return false
  const { transport, sid, method, url, body, remoteAddress, headers } = request
  if (![transport, sid, method, url, body, remoteAddress].every((field) => typeof field === 'string')) return false
  return typeof headers === 'object' && headers !== null && Object.values(headers).every((header) => typeof header === 'string')
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function'
}
