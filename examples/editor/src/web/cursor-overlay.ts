import type { RemoteCursor } from '@org/realtime-ot/client'
import type { CursorInfo } from '../types.js'

/** A remote cursor with what the server said of its owner. */
interface Shown {
  id: string
  from: number
  to: number
  head: number
  name: string
  hue: number
}

/**
 * Draws the others' carets (with their names) and selections over the textarea: a mirror element
 * laid over it with the same font, padding and wrapping holds the text in transparent ink, with a
 * coloured caret at each remote head and a tint under each remote selection. It follows the
 * textarea's scrolling; pointer events go through to the textarea.
 */
export class CursorOverlay {
  readonly #mirror: HTMLElement
  readonly #area: HTMLTextAreaElement

  constructor(area: HTMLTextAreaElement, mirror: HTMLElement) {
    this.#area = area
    this.#mirror = mirror
    area.addEventListener('scroll', () => this.#followScroll())
  }

  /** Redraws `cursors` (positions in code points) over `text`. */
  render(text: string, cursors: ReadonlyMap<string, RemoteCursor>): void {
    const points = [...text]
    const shown: Shown[] = [...cursors.values()].map((cursor) => {
      const info = (cursor.info ?? {}) as Partial<CursorInfo>
      const clamp = (n: number) => Math.max(0, Math.min(n, points.length))
      return {
        id: cursor.id,
        from: clamp(Math.min(cursor.anchor, cursor.head)),
        to: clamp(Math.max(cursor.anchor, cursor.head)),
        head: clamp(cursor.head),
        name: typeof info.name === 'string' ? info.name : 'someone',
        hue: typeof info.hue === 'number' ? info.hue : 0,
      }
    })
    // Every place where something starts or ends, in order; text runs between them.
    const stops = [...new Set([0, points.length, ...shown.flatMap((c) => [c.from, c.to, c.head])])].sort((a, b) => a - b)
    const nodes: Node[] = []
    for (const [i, at] of stops.entries()) {
      for (const cursor of shown) if (cursor.head === at) nodes.push(caret(cursor))
      const next = stops[i + 1]
      if (next === undefined || next === at) continue
      const run = points.slice(at, next).join('')
      const selecting = shown.find((c) => c.from <= at && next <= c.to && c.from < c.to)
      if (selecting === undefined) nodes.push(document.createTextNode(run))
      else {
        const mark = document.createElement('mark')
        mark.style.background = `hsl(${selecting.hue} 80% 60% / 0.25)`
        mark.textContent = run
        nodes.push(mark)
      }
    }
    // A trailing newline needs something after it to take up its line, as in the textarea.
    nodes.push(document.createTextNode('\u200b'))
    this.#mirror.replaceChildren(...nodes)
    this.#followScroll()
  }

  #followScroll(): void {
    this.#mirror.scrollTop = this.#area.scrollTop
    this.#mirror.scrollLeft = this.#area.scrollLeft
  }
}

function caret(cursor: Shown): HTMLElement {
  const mark = document.createElement('span')
  mark.className = 'caret'
  mark.dataset.name = cursor.name
  mark.dataset.id = cursor.id
  mark.style.setProperty('--hue', String(cursor.hue))
  const label = document.createElement('span')
  label.className = 'caret-name'
  label.textContent = cursor.name
  mark.append(label)
  return mark
}
