import { useRealtime } from '@org/realtime-react'
import { useMemo } from 'react'

/** This page's writes; each resolves true when the server did it, false when it refused (reported). */
export interface TodoActions {
  add(title: string): Promise<boolean>
  toggle(id: number): Promise<boolean>
  rename(id: number, title: string): Promise<boolean>
  remove(id: number): Promise<boolean>
}

/**
 * The writes, as acknowledged events the server checks (src/todos.ts). Their effect reaches every
 * page, this one too, through the table's changes, not through these answers. A refusal
 * (`LIMIT_EXCEEDED`, `BAD_REQUEST`, `RATE_LIMITED`…) goes to `report`; a success clears it.
 */
export function useTodoActions(list: number, report: (error: unknown) => void): TodoActions {
  const { client } = useRealtime()
  return useMemo(() => {
    const send = async (event: string, args: Record<string, unknown>): Promise<boolean> => {
      try {
        await client.emitWithAck(event, args)
        report(undefined)
        return true
      } catch (error) {
        report(error)
        return false
      }
    }
    return {
      add: (title) => send('todo:add', { list, title }),
      toggle: (id) => send('todo:toggle', { id }),
      rename: (id, title) => send('todo:rename', { id, title }),
      remove: (id) => send('todo:delete', { id }),
    }
  }, [client, list, report])
}
