// The page's script, as a plain ES module: no bundler. The realtime server serves its browser
// client next to its endpoint (`serveClient: true`), with every transport in it.
import { ErrorCode, RealtimeClient } from '/realtime/client.mjs'

/** Tokens listed on the page; older ones are dropped. */
const MAX_SHOWN = 20

const byId = (id) => document.getElementById(id)
const realtimeUrl = new URL('/realtime', location.href).href
const time = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })

/** @type {RealtimeClient | undefined} */
let client
let name = ''
let expiresAt = 0
let tokenCount = 0

byId('login').addEventListener('submit', (event) => {
  event.preventDefault()
  const wanted = byId('name').value.trim()
  // The first token is fetched here, so that a name the server refuses is shown on the form.
  fetchToken(wanted).then(
    (first) => start(wanted, first),
    (error) => (byId('login-error').textContent = error.message),
  )
})

/** `POST /token` for `user`: `{ token, expiresAt }`, or an error with the server's message. */
async function fetchToken(user) {
  const response = await fetch('/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: user }) })
  const body = await response.json().catch(() => ({}))
  if (!response.ok) throw new Error(body.error ?? `POST /token answered ${response.status}`)
  return body
}

function start(user, first) {
  client?.disconnect()
  name = user
  tokenCount = 0
  byId('tokens').replaceChildren()
  byId('login').hidden = true
  byId('app').hidden = false
  byId('me').textContent = user
  setStatus('connecting', 'connecting…')
  let pending = first
  /** @type {RealtimeClient | undefined} */
  let current
  current = new RealtimeClient(realtimeUrl, {
    // Called on every (re)connect, and shortly before the server's `expiresAt` to renew on the open connection.
    auth: async () => {
      const session = current?.connected ? current.id : undefined
      const issued = pending ?? (await fetchToken(user))
      pending = undefined
      showToken(issued, session)
      return { token: issued.token }
    },
  })
  client = current
  current.lifecycle.on('connect', () => {
    setStatus('connected')
    byId('session').textContent = current.id
  })
  current.lifecycle.on('reconnecting', ({ attempt }) => setStatus('reconnecting', `reconnecting (attempt ${attempt})…`))
  current.lifecycle.on('disconnect', ({ code, willReconnect }) => setStatus(willReconnect ? 'reconnecting' : 'disconnected', willReconnect ? 'reconnecting…' : `disconnected (${code})`))
  current.lifecycle.on('error', (error) => {
    if (error.code === ErrorCode.Unauthorized && current.state === 'disconnected') setStatus('disconnected', `refused: ${error.message}`)
  })
}

/** Lists a token; `session` is the session it renewed, or undefined for one fetched to connect. */
function showToken(issued, session) {
  expiresAt = issued.expiresAt
  byId('token-count').textContent = String(++tokenCount)
  const item = document.createElement('li')
  item.dataset.session = session ?? ''
  item.textContent = session === undefined ? `to connect: expires ${time(issued.expiresAt)}` : `renewal on session ${session}: expires ${time(issued.expiresAt)}`
  byId('tokens').prepend(item)
  while (byId('tokens').children.length > MAX_SHOWN) byId('tokens').lastElementChild.remove()
  tick()
}

function tick() {
  const seconds = Math.max(0, Math.ceil((expiresAt - Date.now()) / 1000))
  byId('expires').textContent = expiresAt === 0 ? '–' : `${time(expiresAt)} (in ${seconds} s)`
}
setInterval(tick, 250)

byId('whoami').addEventListener('click', () => {
  const current = client
  if (current === undefined) return
  // The server answers from `conn.data`, which `authenticate` made from the verified token.
  current.emitWithAck('whoami').then(
    ({ user, expiresAt: until }) => (byId('whoami-result').textContent = `The server says: you are ${user}, on a token valid until ${time(until)}.`),
    (error) => (byId('whoami-result').textContent = `No answer: ${error.message}`),
  )
})

byId('tamper').addEventListener('click', () => {
  byId('tamper-result').textContent = 'trying…'
  tamperedToken().then((token) => {
    // A second connection, with a token whose payload now says "admin" under the old signature.
    const probe = new RealtimeClient(realtimeUrl, { auth: { token }, reconnection: false })
    probe.lifecycle.on('connect', () => {
      byId('tamper-result').textContent = 'Accepted: the server did not check the signature!'
      probe.disconnect()
    })
    probe.lifecycle.on('error', (error) => {
      byId('tamper-result').textContent = `Refused: ${error.code} (${error.message})`
      probe.disconnect()
    })
  }, (error) => (byId('tamper-result').textContent = error.message))
})

/** A valid token of ours with its subject changed to "admin" and the signature left as it was. */
async function tamperedToken() {
  const [header, payload, signature] = (await fetchToken(name)).token.split('.')
  const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/')))
  const forged = btoa(JSON.stringify({ ...claims, sub: 'admin' })).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
  return `${header}.${forged}.${signature}`
}

function setStatus(state, text = state) {
  byId('status').dataset.state = state
  byId('status').textContent = text
}
