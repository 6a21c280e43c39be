import type { RemoteCursor } from '@org/realtime-ot/client'
import type { CSSProperties, ReactNode, Ref } from 'react'
import { cursorInfoOf } from './cursor-info.js'

/** A remote cursor, clamped to the text, with what the server said of its owner. */
interface Shown {
  id: string
  from: number
  to: number
  head: number
  name: string
  hue: number
}

/**
 * The others' carets (with their names) and selections, drawn over the textarea: this element is
 * laid over it with the same font, padding and wrapping, holds the text in transparent ink, with
 * a coloured caret at each remote head and a tint under each remote selection. The textarea
 * scrolls it along (`ref`); pointer events go through to the textarea. Positions are code points.
 */
export function CursorMirror({ text, cursors, ref }: { text: string; cursors: ReadonlyMap<string, RemoteCursor>; ref: Ref<HTMLDivElement> }): ReactNode {
  const points = [...text]
  const clamp = (n: number): number => Math.max(0, Math.min(n, points.length))
  const shown: Shown[] = [...cursors.values()].map((cursor) => ({
    id: cursor.id,
    from: clamp(Math.min(cursor.anchor, cursor.head)),
    to: clamp(Math.max(cursor.anchor, cursor.head)),
    head: clamp(cursor.head),
    ...cursorInfoOf(cursor),
  }))
  // Every place where something starts or ends, in order; text runs between them.
  const stops = [...new Set([0, points.length, ...shown.flatMap((c) => [c.from, c.to, c.head])])].sort((a, b) => a - b)
  const nodes: ReactNode[] = []
  for (const [i, at] of stops.entries()) {
    for (const cursor of shown) if (cursor.head === at) nodes.push(<Caret key={`caret:${cursor.id}`} cursor={cursor} />)
    const next = stops[i + 1]
    if (next === undefined || next === at) continue
    const run = points.slice(at, next).join('')
    const selecting = shown.find((c) => c.from <= at && next <= c.to && c.from < c.to)
    nodes.push(
      selecting === undefined ? (
        run
      ) : (
        <mark key={`run:${at}`} style={{ '--hue': selecting.hue } as CSSProperties}>
          {run}
        </mark>
      ),
    )
  }
  return (
    <div id="mirror" aria-hidden="true" ref={ref}>
      {nodes}
      {/* A trailing newline needs something after it to take up its line, as in the textarea. */}
      {'\u200b'}
    </div>
  )
}

function Caret({ cursor }: { cursor: Shown }): ReactNode {
  return (
    <span className="caret" data-name={cursor.name} data-id={cursor.id} style={{ '--hue': cursor.hue } as CSSProperties}>
      <span className="caret-name">{cursor.name}</span>
    </span>
  )
}
