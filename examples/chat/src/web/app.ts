import { RealtimeClient, type DefaultEvents, type RealtimeError } from '@org/realtime-client'
import type { ChatClientEvents, ChatRoomEvents } from '../events.js'
import { TypingIndicator } from './typing-indicator.js'
import { setComposerEnabled, setStatus, showChat, showLogin, showMembers, showMessage, showNotice, showRoom, showTyping, ui } from './view.js'

/** Events the server sends to the connection itself: none in this chat, so the permissive default. */
type ChatClient = RealtimeClient<DefaultEvents, ChatClientEvents>

let client: ChatClient | undefined
let me = ''
let room = 'general'
/** The room's members by name: `true` when away (every connection of theirs dropped, waiting to be resumed). */
const members = new Map<string, boolean>()
let reconnected = false
/** Whether the server resumed the session after a drop: still in the room, missed messages replayed. */
let resumed = false
let lastTypingSent = 0
let countdown: ReturnType<typeof setInterval> | undefined
const typing = new TypingIndicator(showTyping, 3000)
const wiredRooms = new Set<string>()

ui.login.addEventListener('submit', (event) => {
  event.preventDefault()
  const name = ui.name.value.trim()
  if (name !== '') start(name)
})

function start(name: string): void {
  client?.disconnect()
  wiredRooms.clear()
  me = name
  showChat(name)
  setStatus('connecting', 'connecting…')
  const current = new RealtimeClient<DefaultEvents, ChatClientEvents>(new URL('/realtime', location.href).href, { auth: { name } })
  client = current
  // `connect` fires on every (re)connect. A resumed session is still in its room and gets what it
  // missed replayed; a fresh one (server restarted, or away too long) starts in no room: join again.
  current.lifecycle.on('connect', () => {
    stopCountdown()
    setStatus('connected')
    if (!resumed) return void join(room)
    showNotice('reconnected')
    reconnected = false
    setComposerEnabled(true)
  })
  current.lifecycle.on('reconnect', ({ recovered }) => {
    reconnected = true
    resumed = recovered
  })
  current.lifecycle.on('reconnecting', ({ attempt, delayMs }) => startCountdown(attempt, delayMs))
  current.lifecycle.on('disconnect', ({ willReconnect }) => {
    setComposerEnabled(false)
    typing.clear()
    setStatus(willReconnect ? 'reconnecting' : 'disconnected', willReconnect ? 'reconnecting…' : 'disconnected')
  })
  current.lifecycle.on('error', (error: RealtimeError) => {
    if (current.state === 'disconnected') {
      stopCountdown()
      setStatus('disconnected')
    }
    if (error.code === 'UNAUTHORIZED') showLogin(error.message)
    else showNotice(`Error: ${error.message}`)
  })
}

async function join(next: string): Promise<void> {
  const current = client
  if (current === undefined) return
  room = next
  members.clear()
  typing.clear()
  showRoom(next)
  listenTo(next)
  try {
    const result = await current.emitWithAck('join-room', { roomId: next })
    if (room !== next || current !== client) return // switched again meanwhile
    members.clear()
    for (const name of result.members) members.set(name, result.away.includes(name))
    showMembers(members)
    for (const message of result.history) showMessage(message, message.name === me, true)
    if (reconnected) showNotice('reconnected')
    reconnected = false
    setComposerEnabled(true)
  } catch (error) {
    showNotice(`Could not join #${next}: ${(error as Error).message}`)
  }
}

/** Subscribes the page to a room's broadcasts, once per room; only the current room is shown. */
function listenTo(name: string): void {
  if (client === undefined || wiredRooms.has(name)) return
  wiredRooms.add(name)
  // A room's broadcasts arrive on its channel (the server joined us to the room): never on `client.on`.
  const channel = client.channel<ChatRoomEvents>(name)
  const inRoom = <T>(handler: (data: T) => void) => (data: T) => {
    if (room === name) handler(data)
  }
  channel.on('new-message', inRoom((message) => {
    typing.stopped(message.name)
    showMessage(message, message.name === me)
  }))
  channel.on('user-typing', inRoom(({ name }) => typing.typing(name)))
  // Presence is per name (two tabs of one name are one member), announced by the server on change only.
  const presence = (away: boolean | undefined, notice: string) =>
    inRoom(({ name }: { name: string }) => {
      if (away === undefined) members.delete(name)
      else members.set(name, away)
      if (away !== false) typing.stopped(name)
      showMembers(members)
      showNotice(`${name} ${notice}`)
    })
  channel.on('user-joined', presence(false, 'joined'))
  channel.on('user-left', presence(undefined, 'left'))
  channel.on('user-away', presence(true, 'is away'))
  channel.on('user-back', presence(false, 'is back'))
}

ui.rooms.addEventListener('click', (event) => {
  const next = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-room]')?.dataset.room
  if (next !== undefined && next !== room && client?.connected) void join(next)
})

ui.roomForm.addEventListener('submit', (event) => {
  event.preventDefault()
  const next = ui.roomInput.value.trim().toLowerCase()
  if (next === '' || !client?.connected) return
  ui.roomInput.value = ''
  void join(next)
})

ui.composer.addEventListener('submit', (event) => {
  event.preventDefault()
  const text = ui.text.value.trim()
  if (text === '' || !client?.connected) return
  // The message ends the typing indicator on the other pages: what is typed next, however soon, starts it again.
  lastTypingSent = 0
  client.emitWithAck('send-message', { text }).then(
    () => {
      if (ui.text.value.trim() === text) ui.text.value = ''
    },
    (error: RealtimeError) => showNotice(`Not sent: ${error.message}`),
  )
})

ui.text.addEventListener('input', () => {
  if (!client?.connected || ui.text.value === '' || Date.now() - lastTypingSent < 1000) return
  lastTypingSent = Date.now()
  client.emit('typing')
})

function startCountdown(attempt: number, delayMs: number): void {
  stopCountdown()
  const at = Date.now() + delayMs
  const tick = (): void => {
    const seconds = Math.max(0, (at - Date.now()) / 1000)
    setStatus('reconnecting', seconds > 0 ? `reconnecting (attempt ${attempt} in ${seconds.toFixed(1)} s)` : `reconnecting (attempt ${attempt})…`)
    if (seconds === 0) stopCountdown()
  }
  tick()
  countdown = setInterval(tick, 100)
}

function stopCountdown(): void {
  clearInterval(countdown)
}
