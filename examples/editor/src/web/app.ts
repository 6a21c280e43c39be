import { RealtimeClient } from '@org/realtime-client'
import { channelOf } from '@org/realtime-ot'
import { document as openDocument, localStoragePending, type ClientDocument } from '@org/realtime-ot/client'
import { DEFAULT_DOCUMENT, DOCUMENT_ID, type CursorInfo } from '../types.js'
import { CursorOverlay } from './cursor-overlay.js'
import { bindTextarea } from './textarea-binding.js'

const ui = {
  login: document.querySelector('#login') as HTMLFormElement,
  name: document.querySelector('#name') as HTMLInputElement,
  workspace: document.querySelector('#workspace') as HTMLElement,
  me: document.querySelector('#me') as HTMLElement,
  people: document.querySelector('#people') as HTMLUListElement,
  undo: document.querySelector('#undo') as HTMLButtonElement,
  redo: document.querySelector('#redo') as HTMLButtonElement,
  text: document.querySelector('#text') as HTMLTextAreaElement,
  mirror: document.querySelector('#mirror') as HTMLElement,
  status: document.querySelector('#status') as HTMLElement,
  error: document.querySelector('#error') as HTMLElement,
}

const params = new URLSearchParams(location.search)
const docId = DOCUMENT_ID.test(params.get('doc') ?? '') ? params.get('doc')! : DEFAULT_DOCUMENT
const remembered = params.get('name') ?? sessionStorage.getItem('editor:name')

ui.login.addEventListener('submit', (event) => {
  event.preventDefault()
  const name = ui.name.value.trim()
  if (name !== '') start(name)
})
if (remembered !== null && remembered.trim() !== '') start(remembered.trim())

function start(name: string): void {
  sessionStorage.setItem('editor:name', name)
  ui.login.hidden = true
  ui.workspace.hidden = false
  ui.me.textContent = name
  const client = new RealtimeClient(new URL('/realtime', location.href).href, { auth: { name } })
  // Unconfirmed edits are kept in this tab's sessionStorage: they survive a reload (and being
  // offline meanwhile) and are sent once. Not localStorage: two tabs would share one client id.
  const doc = openDocument(client, docId, { pending: localStoragePending(sessionStorage, 'editor:pending:') })
  const overlay = new CursorOverlay(ui.text, ui.mirror)
  const redraw = (): void => {
    overlay.render(doc.text, doc.cursors)
    renderPeople(doc)
    ui.undo.disabled = !doc.canUndo
    ui.redo.disabled = !doc.canRedo
  }
  const updateStatus = (): void => renderStatus(doc)
  doc.on('change', redraw)
  doc.on('cursors', redraw)
  doc.on('status', updateStatus)
  doc.on('error', (error) => {
    ui.error.textContent = error.message
  })
  client.lifecycle.on('connect', updateStatus)
  client.lifecycle.on('disconnect', updateStatus)
  const channel = client.channel(channelOf(docId))
  channel.lifecycle.on('subscribed', updateStatus)
  channel.lifecycle.on('unsubscribed', updateStatus)
  ui.undo.addEventListener('click', () => doc.undo())
  ui.redo.addEventListener('click', () => doc.redo())
  // Closing the tab leaves at once: the others' carets of it go.
  addEventListener('pagehide', () => client.disconnect())
  doc.ready.then(
    () => {
      bindTextarea(doc, ui.text, (error) => {
        ui.error.textContent = error instanceof Error ? error.message : String(error)
      })
      ui.text.disabled = false
      ui.text.focus()
      redraw()
      updateStatus()
    },
    (error: Error) => {
      ui.error.textContent = `Could not open the document: ${error.message}`
    },
  )
}

/** The status line: synchronized, sending, or offline (edits kept and sent on return). */
function renderStatus(doc: ClientDocument): void {
  const [state, text] =
    doc.status === 'opening'
      ? ['connecting', 'connecting…']
      : !doc.online
        ? ['offline', doc.status === 'synchronized' ? 'offline — edits made now are sent when you are back' : 'offline — your edits are kept and sent when you are back']
        : doc.status === 'synchronized'
          ? ['synchronized', 'synchronized']
          : ['sending', 'sending…']
  ui.status.dataset.state = state
  ui.status.textContent = text
}

/** Who else has the document open and has put a caret in it. */
function renderPeople(doc: ClientDocument): void {
  const items = [...doc.cursors.values()].map((cursor) => {
    const info = (cursor.info ?? {}) as Partial<CursorInfo>
    const item = document.createElement('li')
    item.textContent = typeof info.name === 'string' ? info.name : 'someone'
    item.style.setProperty('--hue', String(typeof info.hue === 'number' ? info.hue : 0))
    return item
  })
  ui.people.replaceChildren(...items)
}
