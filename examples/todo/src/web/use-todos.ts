import { useRealtime } from '@org/realtime-react'
import { useTable, type UseTableResult } from '@org/realtime-react/table'
import { useMemo, useRef } from 'react'
import type { Todo } from '../todo.js'

/** What {@link useTodos} returns: the table's state, its rows in order, and how often they were loaded. */
export interface Todos extends UseTableResult<Todo> {
  /** Times the whole list was loaded: once at the start, again only when missed changes could not be replayed. */
  readonly loads: number
}

/**
 * The to-dos of `list`, kept in sync with the database: `useTable` subscribes to the changes of
 * `public:todos` for this list (the server checks the filter) and applies each INSERT, UPDATE and
 * DELETE; it loads the whole list (`todo:list`) on the first subscription and whenever what was
 * missed while away could not be replayed.
 */
export function useTodos(list: number): Todos {
  const { client } = useRealtime()
  const loads = useRef(0)
  const table = useTable<Todo>('public:todos', `list_id=eq.${list}`, {
    load: async () => {
      loads.current++
      return (await client.emitWithAck('todo:list', { list })) as Todo[]
    },
  })
  const rows = useMemo(() => [...table.rows].sort((a, b) => a.id - b.id), [table.rows])
  return { ...table, rows, loads: loads.current }
}
