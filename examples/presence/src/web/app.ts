import { RealtimeClient } from '@org/realtime-client'
import { presence, type Presence, type PresenceMember } from '@org/realtime-presence/client'
import { LOBBY, type PersonMeta } from '../types.js'

const ui = {
  login: document.querySelector('#login') as HTMLFormElement,
  name: document.querySelector('#name') as HTMLInputElement,
  lobby: document.querySelector('#lobby') as HTMLElement,
  me: document.querySelector('#me') as HTMLElement,
  status: document.querySelector('#status') as HTMLElement,
  leave: document.querySelector('#leave') as HTMLButtonElement,
  count: document.querySelector('#count') as HTMLElement,
  people: document.querySelector('#people') as HTMLUListElement,
  activity: document.querySelector('#activity') as HTMLUListElement,
}

let client: RealtimeClient | undefined
let people: Presence<PersonMeta> | undefined

ui.login.addEventListener('submit', (event) => {
  event.preventDefault()
  const name = ui.name.value.trim()
  if (name !== '') enter(name)
})
ui.leave.addEventListener('click', () => leave())
// Closing the tab leaves at once, rather than staying "away" until the server gives up on it.
addEventListener('pagehide', () => client?.disconnect())

function enter(name: string): void {
  client?.disconnect()
  const current = new RealtimeClient(new URL('/realtime', location.href).href, { auth: { name } })
  client = current
  ui.login.hidden = true
  ui.lobby.hidden = false
  ui.leave.hidden = false
  ui.me.textContent = name
  setStatus('connecting', 'connecting…')
  current.lifecycle.on('connect', () => setStatus('connected', 'online'))
  current.lifecycle.on('disconnect', ({ willReconnect }) => setStatus(willReconnect ? 'reconnecting' : 'disconnected', willReconnect ? 'reconnecting…' : 'offline'))
  people = presence<PersonMeta>(current.channel(LOBBY))
  // The full list once, then each change: the page simply redraws from the state.
  for (const event of ['sync', 'join', 'update', 'leave'] as const) people.on(event, () => render())
  people.on('join', (member) => note(`${nameOf(member)} arrived`))
  people.on('leave', (member) => note(`${nameOf(member)} left`))
  people.on('error', (error) => setStatus('disconnected', error.message))
  people.track({ name, since: Math.floor(Date.now() / 1000) }).catch((error: Error) => setStatus('disconnected', error.message))
}

function leave(): void {
  client?.disconnect()
  client = undefined
  people = undefined
  ui.lobby.hidden = true
  ui.leave.hidden = true
  ui.login.hidden = false
  ui.me.textContent = ''
  ui.people.replaceChildren()
  ui.activity.replaceChildren()
  setStatus('idle', 'not connected')
}

/** Adds a line to the activity list, newest first, keeping the last 20. */
function note(text: string): void {
  const item = document.createElement('li')
  item.textContent = `${new Date().toLocaleTimeString()} ${text}`
  ui.activity.prepend(item)
  while (ui.activity.children.length > 20) ui.activity.lastElementChild?.remove()
}

function nameOf(member: PresenceMember<PersonMeta>): string {
  return member.metas.at(-1)?.meta.name ?? member.key
}

function setStatus(state: string, text: string): void {
  ui.status.dataset.state = state
  ui.status.textContent = text
}

function render(): void {
  if (people === undefined) return
  const members = people.list()
  ui.count.textContent = members.length === 0 ? 'nobody here' : members.length === 1 ? '1 person online' : `${members.length} people online`
  ui.people.replaceChildren(...members.map((member) => personItem(member, member.metas.some((meta) => meta.ref === people?.ref))))
}

/** One person: initials on a color of their key, their name, how many tabs, and away when every tab dropped. */
function personItem(member: PresenceMember<PersonMeta>, isMe: boolean): HTMLLIElement {
  const away = member.metas.every((meta) => meta.away)
  const name = nameOf(member)
  const item = document.createElement('li')
  item.className = away ? 'person away' : 'person'
  item.dataset.key = member.key
  const avatar = document.createElement('span')
  avatar.className = 'avatar'
  avatar.style.background = `hsl(${hue(member.key)} 55% 45%)`
  avatar.textContent = initials(name)
  const label = document.createElement('span')
  label.className = 'name'
  label.textContent = isMe ? `${name} (you)` : name
  const detail = document.createElement('span')
  detail.className = 'detail'
  const tabs = member.metas.length
  detail.textContent = [away ? 'away' : '', tabs > 1 ? `${tabs} tabs` : ''].filter(Boolean).join(' · ')
  item.append(avatar, label, detail)
  return item
}

function initials(name: string): string {
  const words = name.split(/\s+/).filter(Boolean)
  return (words.length > 1 ? `${words[0]![0]}${words.at(-1)![0]}` : name.slice(0, 2)).toUpperCase()
}

function hue(key: string): number {
  let hash = 0
  for (const char of key) hash = (hash * 31 + char.codePointAt(0)!) % 360
  return hash
}
