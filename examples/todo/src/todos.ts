import { RealtimeError, type RealtimeServer } from '@org/realtime-server'
import type pg from 'pg'
import { MAX_TITLE, type Todo } from './todo.js'

export { MAX_TITLE, type Todo }

/** Most to-dos in one list, unless `attachTodos` is given another. */
export const MAX_TODOS = 500

/** The table, made when missing: `REPLICA IDENTITY FULL` so that DELETEs carry the list id the pages filter on. */
export const TODOS_SQL = `
CREATE TABLE IF NOT EXISTS todos (id serial PRIMARY KEY, list_id int NOT NULL, title text NOT NULL, done boolean NOT NULL DEFAULT false);
CREATE INDEX IF NOT EXISTS todos_list ON todos (list_id, id);
ALTER TABLE todos REPLICA IDENTITY FULL;`

function listId(value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 1_000_000) throw new RealtimeError('BAD_REQUEST', 'list must be an integer from 1 to 1000000')
  return value as number
}

function todoId(value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1) throw new RealtimeError('BAD_REQUEST', 'id must be a positive integer')
  return value as number
}

function title(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_TITLE) throw new RealtimeError('BAD_REQUEST', `title must be 1 to ${MAX_TITLE} characters`)
  return value.trim()
}

type Args = Record<string, unknown>

/**
 * The page's writes and its one read, as acknowledged events. Pages learn about every write
 * (their own too) from the database's change stream, not from these answers.
 */
export function attachTodos(rt: RealtimeServer, db: pg.Pool, { maxTodos = MAX_TODOS }: { maxTodos?: number } = {}): void {
  rt.on('connection', (conn) => {
    conn.on('todo:list', async (args: Args) => {
      const { rows } = await db.query<Todo>('SELECT id, list_id, title, done FROM todos WHERE list_id = $1 ORDER BY id LIMIT $2', [listId(args?.list), maxTodos])
      return rows
    })
    conn.on('todo:add', async (args: Args) => {
      const list = listId(args?.list)
      const { rows } = await db.query<{ id: number }>(
        'INSERT INTO todos (list_id, title) SELECT $1, $2 WHERE (SELECT count(*) FROM todos WHERE list_id = $1) < $3 RETURNING id',
        [list, title(args?.title), maxTodos],
      )
      if (rows.length === 0) throw new RealtimeError('LIMIT_EXCEEDED', `A list holds at most ${maxTodos} to-dos`)
      return rows[0]?.id
    })
    conn.on('todo:toggle', async (args: Args) => {
      await db.query('UPDATE todos SET done = NOT done WHERE id = $1', [todoId(args?.id)])
    })
    conn.on('todo:rename', async (args: Args) => {
      await db.query('UPDATE todos SET title = $2 WHERE id = $1', [todoId(args?.id), title(args?.title)])
    })
    conn.on('todo:delete', async (args: Args) => {
      await db.query('DELETE FROM todos WHERE id = $1', [todoId(args?.id)])
    })
  })
}
