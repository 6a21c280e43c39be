import { diffOp, textType } from '@org/realtime-ot'
import type { UseDocumentResult } from '@org/realtime-react/document'
import { useEffect, useLayoutEffect, useRef, type KeyboardEvent, type ReactNode } from 'react'
import { toCodePoints, toUnits } from './code-points.js'
import { CursorMirror } from './cursor-mirror.js'
import { textChange } from './text-change.js'

/**
 * The textarea, kept in step with the document of `useDocument`: what is typed becomes an edit
 * (the difference between the document's text and the textarea's), another's edit is written
 * into the textarea with the caret moved past it, and Ctrl+Z / Ctrl+Shift+Z (Ctrl+Y) undo and
 * redo this page's own edits only. The caret and selection go to the others. `onRefused` hears
 * of an edit the document refused before sending it: the textarea goes back to the document's text.
 */
export function SharedTextarea({ doc, onRefused }: { doc: UseDocumentResult; onRefused: (error: unknown) => void }): ReactNode {
  const area = useRef<HTMLTextAreaElement>(null)
  const mirror = useRef<HTMLDivElement>(null)
  const { text, status, document: live } = doc
  const opening = status === 'opening'

  // Another's edit, an undo or a rebase changed the text: write it into the textarea.
  useLayoutEffect(() => {
    if (area.current !== null && area.current.value !== text) showText(area.current, text)
  }, [text])

  // The mirror was drawn again: keep it on the textarea's scroll position.
  useLayoutEffect(() => followScroll())

  useEffect(() => {
    if (!opening) area.current?.focus()
  }, [opening])

  // A caret sent while an edit of this page was unconfirmed reaches the others where that edit
  // starts (their copy of the edit, an insert there, does not push it): once everything is
  // confirmed, send it again.
  useEffect(() => {
    if (status === 'synchronized') onSelect()
  }, [status])

  function followScroll(): void {
    if (area.current === null || mirror.current === null) return
    mirror.current.scrollTop = area.current.scrollTop
    mirror.current.scrollLeft = area.current.scrollLeft
  }

  function onInput(): void {
    const el = area.current
    if (el === null || live === undefined) return
    const change = textChange(live.text, el.value)
    if (change === undefined) return
    try {
      doc.replace(change.at, change.removed, change.inserted)
    } catch (error) {
      showText(el, live.text)
      onRefused(error)
    }
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>): void {
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return
    const key = event.key.toLowerCase()
    if (key !== 'z' && key !== 'y') return
    // The textarea's own undo would revert the others' edits too.
    event.preventDefault()
    if (key === 'y' || event.shiftKey) doc.redo()
    else doc.undo()
  }

  function onSelect(): void {
    const el = area.current
    if (el === null || document.activeElement !== el) return
    const start = toCodePoints(el.value, el.selectionStart)
    const end = toCodePoints(el.value, el.selectionEnd)
    if (el.selectionDirection === 'backward') doc.select(end, start)
    else doc.select(start, end)
  }

  return (
    <div className="editor">
      <textarea
        id="text"
        ref={area}
        spellCheck={false}
        aria-label="Shared text"
        disabled={opening}
        onInput={onInput}
        onKeyDown={onKeyDown}
        onSelect={onSelect}
        onScroll={followScroll}
      />
      <CursorMirror ref={mirror} text={text} cursors={doc.cursors} />
    </div>
  )
}

/**
 * Writes `text` into `area`, keeping its scroll position and moving a focused textarea's
 * selection past the change, so the caret stays on the letter it was on.
 */
function showText(area: HTMLTextAreaElement, text: string): void {
  const before = area.value
  const focused = document.activeElement === area
  const { scrollTop, selectionDirection } = area
  const selection: [number, number] = [toCodePoints(before, area.selectionStart), toCodePoints(before, area.selectionEnd)]
  const [start, end] = textType.transformSelection(selection, diffOp(before, text)) as [number, number]
  area.value = text
  area.scrollTop = scrollTop
  if (focused) area.setSelectionRange(toUnits(text, start), toUnits(text, end), selectionDirection)
}
