import type { RealtimeError } from '@org/realtime-client'
import { useRef, useState, type ReactNode } from 'react'
import { useChatClient } from './chat-client.js'

/** Milliseconds between two `typing` signals. */
const TYPING_EVERY_MS = 1000

/**
 * The message box of `room`: sends with `send-message` and shows the server's refusal
 * (`BAD_INPUT`, `RATE_LIMITED`, `FORBIDDEN`…) with its code under it. While typing it signals
 * `typing`, at most once a second, and again at once after a message.
 */
export function Composer({ room, enabled }: { room: string; enabled: boolean }): ReactNode {
  const client = useChatClient()
  const [text, setText] = useState('')
  const [refusal, setRefusal] = useState<RealtimeError>()
  const lastTyping = useRef(0)
  return (
    <>
      <form
        id="composer"
        onSubmit={(event) => {
          event.preventDefault()
          const sent = text.trim()
          if (sent === '' || !enabled) return
          lastTyping.current = 0
          setRefusal(undefined)
          client.emitWithAck('send-message', { roomId: room, text: sent }).then(
            () => setText((current) => (current.trim() === sent ? '' : current)),
            (error: RealtimeError) => setRefusal(error),
          )
        }}
      >
        <input
          id="text"
          maxLength={2000}
          autoComplete="off"
          placeholder="Message"
          aria-label="Message"
          disabled={!enabled}
          value={text}
          onChange={(event) => {
            setText(event.target.value)
            if (event.target.value === '' || Date.now() - lastTyping.current < TYPING_EVERY_MS) return
            lastTyping.current = Date.now()
            client.emit('typing', { roomId: room })
          }}
        />
        <button disabled={!enabled}>Send</button>
      </form>
      <p id="composer-error" className="error" role="alert">
        {refusal === undefined ? '' : `Not sent (${refusal.code}): ${refusal.message}`}
      </p>
    </>
  )
}
