import { ErrorCode, RealtimeError } from '../errors.js'

/**
 * Reads the body of `request` as UTF-8 text, refusing more than `maxBytes` before reading it all.
 * @throws RealtimeError `PAYLOAD_TOO_LARGE` past `maxBytes`, `BAD_FRAME` for invalid UTF-8.
 */
export async function readText(request: Request, maxBytes: number): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN)
  if (declared > maxBytes) throw tooLarge(maxBytes)
  const chunks: Uint8Array[] = []
  let total = 0
  if (request.body !== null) {
    const reader = request.body.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      total += value.byteLength
      if (total > maxBytes) {
        await reader.cancel()
        throw tooLarge(maxBytes)
      }
      chunks.push(value)
    }
  }
  const bytes = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new RealtimeError(ErrorCode.BadFrame, 'The body is not valid UTF-8')
  }
}

function tooLarge(maxBytes: number): RealtimeError {
  return new RealtimeError(ErrorCode.PayloadTooLarge, `The body is larger than maxPayload (${maxBytes} bytes)`)
}
