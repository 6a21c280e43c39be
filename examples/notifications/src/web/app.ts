import { ErrorCode, RealtimeClient, type RealtimeError } from '@org/realtime-client'
import { sseTransport } from '@org/realtime-transport-sse/client'
import type { Notification, SentNotification } from '../types.js'
import { addNotification, setStatus, showFeed, showLogin, showSendResult, ui } from './view.js'

let client: RealtimeClient | undefined

ui.login.addEventListener('submit', (event) => {
  event.preventDefault()
  open(ui.name.value.trim().toLowerCase())
})

/** Connects as `user` and shows their channel, `notifications:<user>`. */
function open(user: string): void {
  client?.disconnect()
  const current = new RealtimeClient(new URL('/realtime', location.href).href, { transports: [sseTransport()], auth: { user } })
  client = current
  showFeed(user)
  setStatus('connecting', 'connecting…')
  const feed = current.channel(`notifications:${user}`)
  feed.on('notification', (notification: Notification) => addNotification(notification))
  // `connect` fires after every (re)connect; the client itself subscribes the channel again.
  current.lifecycle.on('connect', () => {
    feed.subscribe().then(
      () => current.connected && setStatus('live'),
      (error: RealtimeError) => setStatus('disconnected', `not subscribed: ${error.message}`), // reported here only, not as `error`
    )
  })
  current.lifecycle.on('reconnecting', ({ attempt }) => setStatus('reconnecting', `reconnecting (attempt ${attempt})…`))
  current.lifecycle.on('disconnect', ({ willReconnect }) => setStatus(willReconnect ? 'reconnecting' : 'disconnected', willReconnect ? 'reconnecting…' : 'disconnected'))
  current.lifecycle.on('error', (error: RealtimeError) => {
    if (error.code === ErrorCode.Unauthorized) showLogin(error.message)
    else if (current.state === 'disconnected') setStatus('disconnected', `disconnected: ${error.message}`)
  })
}

ui.send.addEventListener('submit', (event) => {
  event.preventDefault()
  const user = ui.to.value.trim().toLowerCase()
  const text = ui.text.value.trim()
  showSendResult('sending…')
  notify(user, text).then(
    ({ listeners }) => {
      if (ui.text.value.trim() === text) ui.text.value = ''
      // Notifications are not stored: one sent to nobody is gone, and the sender should know.
      if (listeners === 0) showSendResult(`Not delivered: ${user} has no page open, and notifications are not stored`, true)
      else showSendResult(`Sent to ${user} (${listeners} open page${listeners === 1 ? '' : 's'})`)
    },
    (error: Error) => showSendResult(`Not sent: ${error.message}`, true),
  )
})

/** `POST /notify`; rejects with the server's message. */
async function notify(user: string, text: string): Promise<SentNotification> {
  const response = await fetch('/notify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, text }) })
  if (!response.ok) throw new Error(((await response.json().catch(() => ({}))) as { message?: string }).message ?? `HTTP ${response.status}`)
  return (await response.json()) as SentNotification
}
