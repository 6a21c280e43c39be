import { RealtimeProvider } from '@org/realtime-react'
import type { ReactNode } from 'react'
import { TodoPage } from './todo-page.js'

/** The list this page shows: `?list=N`, 1 by default. */
const list = Math.min(1_000_000, Math.max(1, Math.trunc(Number(new URLSearchParams(location.search).get('list') ?? 1)) || 1))
const REALTIME_URL = new URL('/realtime', location.href).href
/** Back quickly after a restart of the server: the first retry after 200 ms, then at most every 2 s. */
const OPTIONS = { reconnection: { initialDelayMs: 200, maxDelayMs: 2000 } }

/** The provider makes the client and connects it once mounted; the page below uses its hooks. */
export function App(): ReactNode {
  return (
    <RealtimeProvider url={REALTIME_URL} options={OPTIONS}>
      <TodoPage list={list} />
    </RealtimeProvider>
  )
}
