import type { ChatMessage } from '../types.js'

/** The page's elements, by id. Every user-supplied string goes through `textContent`. */
const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T

export const ui = {
  login: byId<HTMLFormElement>('login'),
  name: byId<HTMLInputElement>('name'),
  loginError: byId('login-error'),
  chat: byId('chat'),
  me: byId('me'),
  status: byId('status'),
  rooms: byId('rooms'),
  roomForm: byId<HTMLFormElement>('room-form'),
  roomInput: byId<HTMLInputElement>('room-input'),
  roomTitle: byId('room-title'),
  members: byId('members'),
  messages: byId('messages'),
  typing: byId('typing'),
  composer: byId<HTMLFormElement>('composer'),
  text: byId<HTMLInputElement>('text'),
}

export type Status = 'connecting' | 'connected' | 'reconnecting' | 'disconnected'

export function setStatus(state: Status, text: string = state): void {
  ui.status.dataset.state = state
  ui.status.textContent = text
}

export function showLogin(error = ''): void {
  ui.chat.hidden = true
  ui.login.hidden = false
  ui.me.textContent = ''
  ui.loginError.textContent = error
}

export function showChat(name: string): void {
  ui.login.hidden = true
  ui.chat.hidden = false
  ui.me.textContent = name
}

export function setComposerEnabled(enabled: boolean): void {
  for (const element of ui.composer.elements) (element as HTMLInputElement).disabled = !enabled
  if (enabled) ui.text.focus()
}

/** Clears the list for `room` and marks its button. */
export function showRoom(room: string): void {
  ui.roomTitle.textContent = `#${room}`
  ui.messages.replaceChildren()
  ui.members.textContent = ''
  for (const button of ui.rooms.querySelectorAll<HTMLButtonElement>('button[data-room]')) {
    button.setAttribute('aria-current', String(button.dataset.room === room))
  }
}

/** Shows who is in the room, by name; `true` marks those away. */
export function showMembers(members: ReadonlyMap<string, boolean>): void {
  const names = [...members.keys()].sort().map((name) => (members.get(name) === true ? `${name} (away)` : name))
  ui.members.textContent = names.length === 0 ? '' : `Here: ${names.join(', ')}`
}

/** Adds `message` (at the end, or before the first live one when `history`), once per id. */
export function showMessage(message: ChatMessage, own: boolean, history = false): void {
  if (ui.messages.querySelector(`[data-id="${CSS.escape(message.id)}"]`) !== null) return
  const item = element('li', '', own ? 'own' : '')
  item.dataset.id = message.id
  const time = element('time', new Date(message.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }))
  time.dateTime = new Date(message.at).toISOString()
  item.append(time, element('span', message.name, 'name'), element('span', message.text))
  const firstLive = history ? ui.messages.querySelector('li[data-live]') : null
  if (!history) item.dataset.live = ''
  addItem(item, firstLive)
}

export function showNotice(text: string): void {
  const item = element('li', text, 'notice')
  item.dataset.live = ''
  addItem(item, null)
}

export function showTyping(text: string): void {
  ui.typing.textContent = text
}

function addItem(item: HTMLElement, before: Element | null): void {
  const atBottom = ui.messages.scrollHeight - ui.messages.scrollTop - ui.messages.clientHeight < 40
  ui.messages.insertBefore(item, before)
  if (atBottom) ui.messages.scrollTop = ui.messages.scrollHeight
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, text: string, className = ''): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  node.textContent = text
  if (className !== '') node.className = className
  return node
}
