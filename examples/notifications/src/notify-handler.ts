import { ErrorCode, RealtimeError, isRealtimeError, type RealtimeServer } from '@org/realtime-server'
import { notifyUser } from './notifications.js'
import type { FeedUser } from './types.js'
import { BAD_INPUT, parseNotifyBody } from './validate.js'

/** Largest `POST /notify` body read, in bytes. */
export const MAX_NOTIFY_BYTES = 4096

/**
 * `POST /notify` on the fetch API, with a JSON body `{ user, text }`: pushes `{ id, text, at }`
 * to the user's channel and answers 200 with `{ notification, listeners }`, `listeners` being how
 * many subscriptions were there to get it (0: nobody, and it is not stored). Failures answer JSON `{ code, message }`:
 * 400 `BAD_INPUT` (not JSON, or invalid), 405 and 415 `BAD_REQUEST` (not a POST, not
 * `application/json` — which also keeps cross-site HTML forms out), 413 `PAYLOAD_TOO_LARGE`.
 * Anyone who can reach it can notify anyone: in an app, check who is calling first.
 */
export async function handleNotify(rt: RealtimeServer<FeedUser>, request: Request): Promise<Response> {
  if (request.method !== 'POST') return json(405, { code: ErrorCode.BadRequest, message: 'Use POST' }, { allow: 'POST' })
  if (!/^application\/json\s*(;|$)/i.test(request.headers.get('content-type') ?? '')) {
    return json(415, { code: ErrorCode.BadRequest, message: 'Send the body as application/json' })
  }
  const text = await readText(request, MAX_NOTIFY_BYTES)
  if (text === undefined) return json(413, { code: ErrorCode.PayloadTooLarge, message: `The body must be at most ${MAX_NOTIFY_BYTES} bytes` })
  try {
    const { user, text: message } = parseNotifyBody(parseJson(text))
    return json(200, await notifyUser(rt, user, message))
  } catch (error) {
    if (isRealtimeError(error) && error.code === BAD_INPUT) return json(400, { code: error.code, message: error.message })
    throw error
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new RealtimeError(BAD_INPUT, 'The body is not valid JSON')
  }
}

/** The body as text, or `undefined` once it exceeds `maxBytes` (the rest is not read). */
async function readText(request: Request, maxBytes: number): Promise<string | undefined> {
  if (request.body === null) return ''
  const reader = request.body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return text + decoder.decode()
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel()
      return undefined
    }
    text += decoder.decode(value, { stream: true })
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...headers, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } })
}
