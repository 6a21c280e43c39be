import type { RemoteCursor } from '@org/realtime-ot/client'
import type { CSSProperties, ReactNode } from 'react'
import { cursorInfoOf } from './cursor-info.js'

/** Who else has the document open and has put a caret in it. */
export function People({ cursors }: { cursors: ReadonlyMap<string, RemoteCursor> }): ReactNode {
  return (
    <ul id="people" aria-label="Also here">
      {[...cursors.values()].map((cursor) => {
        const { name, hue } = cursorInfoOf(cursor)
        return (
          <li key={cursor.id} style={{ '--hue': hue } as CSSProperties}>
            {name}
          </li>
        )
      })}
    </ul>
  )
}
