import type { SentNotification } from '../types.js'

/** A refusal of `POST /notify`: the server's `{ code, message }`. */
export class NotifyError extends Error {
  override readonly name = 'NotifyError'
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** `POST /notify`; rejects with a {@link NotifyError} carrying the server's code (`BAD_INPUT`, `RATE_LIMITED`…). */
export async function notify(user: string, text: string): Promise<SentNotification> {
  const response = await fetch('/notify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, text }) })
  if (response.ok) return (await response.json()) as SentNotification
  const body = (await response.json().catch(() => ({}))) as { code?: string; message?: string }
  throw new NotifyError(body.code ?? `HTTP_${response.status}`, body.message ?? `The server answered HTTP ${response.status}`)
}
