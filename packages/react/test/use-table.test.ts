// @vitest-environment happy-dom
import { channelKey } from '@org/realtime-server'
import { createElement as h, useState } from 'react'
import { afterEach, describe, expect, it } from 'vitest'
import { setupNames, startChangesServer, useTestDatabase } from '../../postgres/test/pg-support.js'
import { RealtimeProvider } from '../src/index.js'
import { useTable } from '../src/table.js'
import { connectedClient, mount, untilText } from './react-support.js'

const database = useTestDatabase(`
  CREATE TABLE todos (id serial PRIMARY KEY, list int NOT NULL, title text NOT NULL);
`)
const closers: Array<() => unknown> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

interface Todo {
  id: number
  list: number
  title: string
}

async function server() {
  // With a filter on a column other than the key, a DELETE reaches the subscriber only when the
  // table sends old rows whole.
  const names = await setupNames(database, ['todos'], true)
  const started = await startChangesServer(database, names)
  closers.push(() => started.rt.close())
  const joins = new Map<string, number>()
  started.rt.on('join', (_conn, room) => void joins.set(room, (joins.get(room) ?? 0) + 1))
  return { ...started, joins }
}

const loadList = (list: number) => async (): Promise<Todo[]> =>
  (await database.db.query<Todo>('SELECT id, list, title FROM todos WHERE list = $1 ORDER BY id', [list])).rows

function Todos({ list, maxRows }: { list: number; maxRows?: number }) {
  const { rows, state, error } = useTable<Todo>('public:todos', `list=eq.${list}`, { load: loadList(list), maxRows })
  return h('p', null, `list ${list} ${state} ${error?.code ?? '-'} [${rows.map((row) => row.title).join(',')}]`)
}

describe('useTable', () => {
  it('loads the rows, then keeps them in sync with inserts, updates and deletes, on one subscription under StrictMode', async () => {
    const { url, rt, joins } = await server()
    await database.db.query(`INSERT INTO todos (list, title) VALUES (1, 'milk'), (2, 'other list')`)
    const client = await connectedClient(url)
    const tree = mount(h(RealtimeProvider, { client, releaseDelayMs: 100 }, h(Todos, { list: 1 })))
    await untilText(tree, 'list 1 subscribed - [milk]', 15_000)
    const { rows } = await database.db.query<{ id: number }>(`INSERT INTO todos (list, title) VALUES (1, 'eggs'), (2, 'not mine') RETURNING id`)
    await untilText(tree, '[milk,eggs]', 15_000)
    await database.db.query(`UPDATE todos SET title = 'brown eggs' WHERE id = $1`, [rows[0]?.id])
    await untilText(tree, '[milk,brown eggs]', 15_000)
    await database.db.query(`DELETE FROM todos WHERE title = 'milk'`)
    await untilText(tree, '[brown eggs]', 15_000)
    const channel = channelKey('db:public:todos', { filter: 'list=eq.1' })
    expect(joins.get(channel)).toBe(1)
    tree.unmount()
    let left = false
    for (let i = 0; i < 500 && !left; i++) {
      left = (await rt.in(channel).count()) === 0
      if (!left) await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(left).toBe(true)
  }, 60_000)

  it('swaps to the new filter when the prop changes', async () => {
    const { url, rt } = await server()
    await database.db.query(`DELETE FROM todos`)
    await database.db.query(`INSERT INTO todos (list, title) VALUES (3, 'three'), (4, 'four')`)
    const client = await connectedClient(url)
    let setList: (list: number) => void = () => {}
    function Switcher() {
      const [list, set] = useState(3)
      setList = set
      return h(Todos, { list })
    }
    const tree = mount(h(RealtimeProvider, { client, releaseDelayMs: 100 }, h(Switcher)))
    await untilText(tree, 'list 3 subscribed - [three]', 15_000)
    setList(4)
    await untilText(tree, 'list 4 subscribed - [four]', 15_000)
    await database.db.query(`INSERT INTO todos (list, title) VALUES (3, 'three again'), (4, 'four again')`)
    await untilText(tree, '[four,four again]', 15_000)
    expect(tree.text()).not.toContain('three')
    const old = channelKey('db:public:todos', { filter: 'list=eq.3' })
    let left = false
    for (let i = 0; i < 500 && !left; i++) {
      left = (await rt.in(old).count()) === 0
      if (!left) await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(left).toBe(true)
  }, 60_000)

  it('stops at maxRows with LIMIT_EXCEEDED while other users keep inserting', async () => {
    const { url } = await server()
    await database.db.query(`DELETE FROM todos`)
    const client = await connectedClient(url)
    const tree = mount(h(RealtimeProvider, { client }, h(Todos, { list: 5, maxRows: 3 })))
    await untilText(tree, 'list 5 subscribed - []', 15_000)
    await database.db.query(`INSERT INTO todos (list, title) SELECT 5, 'row' || n FROM generate_series(1, 50) AS n`)
    await untilText(tree, 'LIMIT_EXCEEDED [row1,row2,row3]', 15_000)
  }, 60_000)
})
