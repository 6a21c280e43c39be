import type { Notification } from '../types.js'

/** The page's elements, by id. Every string from the network goes through `textContent`. */
const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T

export const ui = {
  login: byId<HTMLFormElement>('login'),
  name: byId<HTMLInputElement>('name'),
  loginError: byId('login-error'),
  app: byId('app'),
  me: byId('me'),
  status: byId('status'),
  feed: byId('feed'),
  send: byId<HTMLFormElement>('send'),
  to: byId<HTMLInputElement>('to'),
  text: byId<HTMLInputElement>('text'),
  sendResult: byId('send-result'),
}

/** Notifications kept on the page; older ones are dropped. */
const MAX_SHOWN = 50

export type Status = 'connecting' | 'live' | 'reconnecting' | 'disconnected'

export function setStatus(state: Status, text: string = state): void {
  ui.status.dataset.state = state
  ui.status.textContent = text
}

export function showLogin(error = ''): void {
  ui.app.hidden = true
  ui.login.hidden = false
  ui.me.textContent = ''
  ui.loginError.textContent = error
  setStatus('disconnected', 'not connected')
}

export function showFeed(user: string): void {
  ui.login.hidden = true
  ui.app.hidden = false
  ui.me.textContent = user
  ui.feed.replaceChildren()
}

/** Puts `notification` at the top of the feed, once per id. */
export function addNotification({ id, text, at }: Notification): void {
  if (ui.feed.querySelector(`[data-id="${CSS.escape(id)}"]`) !== null) return
  const item = document.createElement('li')
  item.dataset.id = id
  item.className = 'new'
  const time = document.createElement('time')
  time.dateTime = new Date(at).toISOString()
  time.textContent = new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })
  const body = document.createElement('span')
  body.className = 'text'
  body.textContent = text
  item.append(time, body)
  ui.feed.prepend(item)
  while (ui.feed.children.length > MAX_SHOWN) ui.feed.lastElementChild?.remove()
}

export function showSendResult(text: string, error = false): void {
  ui.sendResult.textContent = text
  ui.sendResult.classList.toggle('error', error)
}
