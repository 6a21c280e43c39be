import { useState, type ReactNode } from 'react'
import { notify, NotifyError } from './notify.js'

type Result = { text: string; error?: string }

/**
 * Sends a notification to any user with `POST /notify` and says what happened: how many open
 * pages got it, that nobody did (notifications are not stored), or the server's refusal with its
 * code (`BAD_INPUT`, `RATE_LIMITED`…).
 */
export function SendForm(): ReactNode {
  const [to, setTo] = useState('')
  const [text, setText] = useState('')
  const [result, setResult] = useState<Result>({ text: '' })
  return (
    <section>
      <h2>Send a notification</h2>
      <form
        id="send"
        onSubmit={(event) => {
          event.preventDefault()
          const user = to.trim().toLowerCase()
          const sent = text.trim()
          setResult({ text: 'sending…' })
          notify(user, sent).then(
            ({ listeners }) => {
              setText((current) => (current.trim() === sent ? '' : current))
              if (listeners === 0) setResult({ text: `Not delivered: ${user} has no page open, and notifications are not stored`, error: 'NOBODY' })
              else setResult({ text: `Sent to ${user} (${listeners} open page${listeners === 1 ? '' : 's'})` })
            },
            (error: Error) => setResult({ text: `Not sent: ${error.message}`, error: error instanceof NotifyError ? error.code : 'NETWORK' }),
          )
        }}
      >
        <input id="to" maxLength={32} required placeholder="to user" aria-label="To user" autoCapitalize="none" value={to} onChange={(event) => setTo(event.target.value)} />
        <input id="text" maxLength={500} required placeholder="Text" aria-label="Text" autoComplete="off" value={text} onChange={(event) => setText(event.target.value)} />
        <button>Send</button>
        <p id="send-result" className={result.error === undefined ? 'hint' : 'hint error'} role="status" data-code={result.error}>
          {result.error !== undefined && result.error !== 'NOBODY' && <code>{result.error}</code>}
          {result.text}
        </p>
      </form>
    </section>
  )
}
