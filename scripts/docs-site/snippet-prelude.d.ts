// The ambient prelude of the docs' code blocks (test/docs/code-blocks.test.ts), kept out of test/
// so that `pnpm typecheck` of the tests does not see these globals.
//
// Convention: each ```ts / ```tsx block is its own module. A block with `import`s must import every
// library name it uses; a block without any is a fragment, and the public exports it names
// (RealtimeServer, webSocketTransport…) are imported for it. What a fragment uses without declaring
// that belongs to the reader's app, not to the library, is declared here: library objects with
// their real types (so a renamed method still breaks the test), app helpers as loose functions.
// Modules of the app that a block imports (`@/lib/realtime`) are in snippet-modules.d.ts.
// A block may opt out with `<!-- not-checked: reason -->` right before it; the test lists them.
import type { RealtimeClient } from '@org/realtime-client'
import type { Channel } from '@org/realtime-client'
import type { Connection, RealtimeServer } from '@org/realtime-server'
import type { Server } from 'node:http'

type AppFunction = (...args: any[]) => any

declare global {
  /** The app's server, client, a connection and a channel, as the guides name them. */
  const rt: RealtimeServer
  const client: RealtimeClient
  const conn: Connection
  const room: Channel
  const url: string
  const httpServer: Server
  const http: typeof import('node:http')
  const app: import('node:http').RequestListener
  const WebSocketServer: typeof import('ws').WebSocketServer
  /** Values of the app: a token, a secret, a database connection string, an id. */
  const token: string
  const secret: Uint8Array
  const connectionString: string
  const DOCUMENT_ID: RegExp
  const initialText: string
  const lastShownOffset: number | undefined
  const lastShownEpoch: string | undefined
  const db: any
  const metrics: any
  const editor: any
  const root: { render(node: unknown): void }
  /** Functions of the app, with whatever signature the guide gives them. */
  const render: AppFunction, show: AppFunction, reload: AppFunction, reloadState: AppFunction, reloadRoom: AppFunction
  const add: AppFunction, change: AppFunction, remove: AppFunction, apply: AppFunction, refetch: AppFunction
  const drawCursors: AppFunction, log: AppFunction, sendNotification: AppFunction
  const verify: AppFunction, verifyToken: AppFunction, verifyJWT: AppFunction, jwtVerify: AppFunction
  const getToken: () => string, fetchToken: () => Promise<string>
  const canAccess: AppFunction, mayRead: AppFunction
  const authenticate: AppFunction, authorize: AppFunction
  /** Types, state and React components of the example apps. */
  type Editor = { name: string; hue: number }
  const editorOf: (auth: unknown) => Editor
  type Notice = { id: string; text: string }
  type ChatLine = { text: string }
  type Meta = { name: string; avatar?: string }
  type Todo = { id: number; title: string }
  const setNotices: (update: (list: Notice[]) => Notice[]) => void
  const App: () => null
  const Reload: () => null
  const Lines: (props: { lines: ChatLine[] }) => null
  const Composer: (props: { onSend: (text: string) => void }) => null
}
