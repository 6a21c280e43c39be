/** A to-do as the table keeps it and the pages show it (shared by the server and the page). */
export interface Todo {
  id: number
  list_id: number
  title: string
  done: boolean
}

/** Longest title, in characters. */
export const MAX_TITLE = 200
