import { RealtimeClient } from '@org/realtime-client'
import { table } from '@org/realtime-postgres/client'
import type { Todo } from '../todos.js'

const list = Math.max(1, Number(new URLSearchParams(location.search).get('list') ?? 1) || 1)
const client = new RealtimeClient(`${location.origin}/realtime`, { reconnection: { initialDelayMs: 200, maxDelayMs: 2000 } })
const todos = new Map<number, Todo>()
const listEl = document.querySelector('#todos') as HTMLUListElement
const status = document.querySelector('#status') as HTMLElement
;(document.querySelector('#list-name') as HTMLElement).textContent = `list ${list}`

function setStatus(state: string, text: string): void {
  status.dataset.state = state
  status.textContent = text
}
client.lifecycle.on('connect', () => setStatus('connected', 'connected'))
client.lifecycle.on('disconnect', () => setStatus('disconnected', 'offline: changes will arrive when back'))

function render(): void {
  const items = [...todos.values()].sort((a, b) => a.id - b.id)
  listEl.replaceChildren(
    ...items.map((todo) => {
      const li = document.createElement('li')
      li.dataset.id = String(todo.id)
      li.classList.toggle('done', todo.done)
      const box = document.createElement('input')
      box.type = 'checkbox'
      box.className = 'toggle'
      box.checked = todo.done
      box.addEventListener('change', () => void client.emitWithAck('todo:toggle', { id: todo.id }).catch(report))
      const title = document.createElement('input')
      title.className = 'title'
      // The attribute too, so that the page can be queried by title.
      title.defaultValue = todo.title
      title.maxLength = 200
      title.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && title.value.trim() !== '' && title.value !== todo.title) void client.emitWithAck('todo:rename', { id: todo.id, title: title.value }).catch(report)
      })
      const remove = document.createElement('button')
      remove.className = 'delete'
      remove.textContent = '×'
      remove.title = 'Delete'
      remove.addEventListener('click', () => void client.emitWithAck('todo:delete', { id: todo.id }).catch(report))
      li.append(box, title, remove)
      return li
    }),
  )
  listEl.dataset.count = String(items.length)
}

function report(error: unknown): void {
  setStatus(status.dataset.state ?? 'connected', `failed: ${(error as Error).message}`)
}

/** Loads the whole list: on the first subscription, and whenever missed changes could not be replayed. */
let refetches = 0
async function refetch(): Promise<void> {
  listEl.dataset.refetches = String(++refetches)
  const rows = (await client.emitWithAck('todo:list', { list })) as Todo[]
  todos.clear()
  for (const row of rows) todos.set(row.id, row)
  render()
}

const changes = table<Todo>(client, 'public:todos', { filter: `list_id=eq.${list}` })
changes.on('*', (change) => {
  if (change.type === 'DELETE') {
    if (change.old?.id !== undefined) todos.delete(change.old.id)
  } else if (change.new !== undefined) {
    todos.set(change.new.id, change.new)
  } else if (change.tooLarge) {
    void refetch().catch(report)
    return
  }
  render()
})
changes.lifecycle.on('subscribed', ({ recovered }) => {
  listEl.dataset.recovered = String(recovered)
  // Recovered: every change missed while offline was replayed, in order. Else load the list again.
  if (!recovered) void refetch().catch(report)
})
changes.subscribe().catch(report)

document.querySelector('#add')?.addEventListener('submit', (event) => {
  event.preventDefault()
  const input = document.querySelector('#new-title') as HTMLInputElement
  if (input.value.trim() === '') return
  void client.emitWithAck('todo:add', { list, title: input.value }).then(() => (input.value = ''), report)
})
