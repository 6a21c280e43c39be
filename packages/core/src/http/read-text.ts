import { ErrorCode, RealtimeError } from '../errors.js'

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Reads the body of `request` as UTF-8 text, refusing more than `maxBytes` before reading it all,
 * and giving up when the whole body has not arrived within `timeoutMs` (a client that declares a
 * large body and trickles it would otherwise hold the request until the server's own timeout).
 * @throws RealtimeError `PAYLOAD_TOO_LARGE` past `maxBytes`, `TIMEOUT` past `timeoutMs`,
 * `BAD_FRAME` for invalid UTF-8.
 */
export async function readText(request: Request, maxBytes: number, timeoutMs = Infinity): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN)
  if (declared > maxBytes) throw tooLarge(maxBytes)
  const chunks: Uint8Array[] = []
  let total = 0
  if (request.body !== null) {
    const reader = request.body.getReader()
    let timer: ReturnType<typeof setTimeout> | undefined
    const timedOut = new Promise<never>((_, reject) => {
      if (timeoutMs !== Infinity) timer = setTimeout(() => reject(new RealtimeError(ErrorCode.Timeout, `The body did not arrive within ${timeoutMs} ms`)), timeoutMs)
    })
    try {
      for (;;) {
        const { done, value } = await Promise.race([reader.read(), timedOut])
        if (done) break
        total += value.byteLength
        if (total > maxBytes) throw tooLarge(maxBytes)
        chunks.push(value)
      }
    } catch (error) {
      void reader.cancel().catch(() => {})
      throw error
    } finally {
      clearTimeout(timer)
    }
  }
  return decodeUtf8(chunks, total)
}

/**
 * The text of `chunks` (`total` bytes in all), decoded as UTF-8.
 * @throws RealtimeError `BAD_FRAME` for invalid UTF-8.
 */
export function decodeUtf8(chunks: readonly Uint8Array[], total: number): string {
  let bytes: Uint8Array
  if (chunks.length === 1) bytes = chunks[0] as Uint8Array
  else {
    bytes = new Uint8Array(total)
    let offset = 0
    for (const chunk of chunks) {
      bytes.set(chunk, offset)
      offset += chunk.byteLength
    }
  }
  try {
    return utf8.decode(bytes)
  } catch {
    throw new RealtimeError(ErrorCode.BadFrame, 'The body is not valid UTF-8')
  }
}

/** The error for a body over `maxBytes`. */
export function tooLarge(maxBytes: number): RealtimeError {
  return new RealtimeError(ErrorCode.PayloadTooLarge, `The body is larger than maxPayload (${maxBytes} bytes)`)
}
