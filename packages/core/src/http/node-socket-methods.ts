/** The socket methods Node.js's HTTP server gives each connection a wrapper of its own for. */
const WRAPPED = ['on', 'addListener', 'prependListener'] as const

type WrappedName = (typeof WRAPPED)[number]

/**
 * The source of those wrappers (`generateSocketListenerWrapper` in Node.js 20's
 * `lib/_http_server.js`), without its white space: it refers to nothing of its socket but `this`,
 * and to nothing else but the name of the method it wraps and the module's own functions.
 */
const WRAPPER_SOURCE =
  'functionsocketListenerWrap(ev,fn){constres=net.Socket.prototype[originalFnName].call(this,ev,fn);' +
  'if(!this.parser){this.on=net.Socket.prototype.on;this.addListener=net.Socket.prototype.addListener;' +
  'this.prependListener=net.Socket.prototype.prependListener;returnres;}' +
  "if(ev==='data'||ev==='readable')unconsume(this.parser,this);returnres;}"

/** One wrapper of each method, taken from the first socket that had them, then given to every socket. */
const shared: Partial<Record<WrappedName, unknown>> = {}
/** The source of the shared wrappers, as the runtime gives it. */
let sharedSource: string | undefined

/**
 * Lets the socket of a held request share its listener-method wrappers with every other socket,
 * so that its own three (`on`, `addListener`, `prependListener`: a closure and its context each,
 * ~310 bytes per connection) are let go.
 *
 * Node.js's HTTP server wraps those methods on every connection's socket, so that adding a `data`
 * or `readable` listener stops its parser from consuming the socket natively. Each wrapper acts
 * on `this` alone and is made the same way for every socket: one of each does for all. They are
 * shared only when they are exactly that code (compared without white space) and the socket's own
 * properties; anything else (a socket of another server or runtime, a method someone replaced, a
 * Node.js whose wrappers differ) is left as it is, as it was before this.
 * @see https://github.com/nodejs/node/blob/v20.x/lib/_http_server.js (`connectionListenerInternal`, `generateSocketListenerWrapper`)
 */
export function shareSocketListenerWrappers(socket: unknown): void {
  if (typeof socket !== 'object' || socket === null) return
  const own = socket as Record<WrappedName, unknown>
  for (const name of WRAPPED) {
    const method = own[name]
    if (method === shared[name]) continue
    if (!isNodeWrapper(method) || !Object.hasOwn(socket, name)) return
  }
  for (const name of WRAPPED) {
    if (shared[name] === undefined) shared[name] = own[name]
    else own[name] = shared[name]
  }
}

/** Whether `method` is Node.js's wrapper: its source is the expected one (compared as is once one has been). */
function isNodeWrapper(method: unknown): boolean {
  if (typeof method !== 'function' || method.name !== 'socketListenerWrap') return false
  const source = Function.prototype.toString.call(method)
  if (sharedSource !== undefined) return source === sharedSource
  if (source.replace(/\s+/g, '') !== WRAPPER_SOURCE) return false
  sharedSource = source
  return true
}
