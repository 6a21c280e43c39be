import { diffOp, textType } from '@org/realtime-ot'
import type { ClientDocument } from '@org/realtime-ot/client'
import { toCodePoints, toUnits } from './code-points.js'

/**
 * Keeps `area` and `doc` in step: what is typed becomes an edit of the document (the difference
 * between the document's text and the textarea's), another's edit is written into the textarea
 * with the caret moved past it, and Ctrl+Z / Ctrl+Shift+Z (Ctrl+Y) undo and redo this page's own
 * edits only. The caret and selection are sent to the others. Returns a function that unbinds.
 * `onRefused` hears of an edit the document refused (e.g. over its size limit): it is undone.
 */
export function bindTextarea(doc: ClientDocument, area: HTMLTextAreaElement, onRefused: (error: unknown) => void): () => void {
  area.value = doc.text

  const onInput = (): void => {
    const op = diffOp(doc.text, area.value)
    if (op.length === 0) return
    try {
      doc.apply(op)
    } catch (error) {
      showText(doc.text)
      onRefused(error)
    }
  }

  const onChange = ({ op }: { op: Parameters<typeof textType.apply>[1] }): void => {
    if (area.value === doc.text) return // this page's own typing: the textarea has it already
    // Another's edit, an undo or a rebase: move this page's selection past it, in code points.
    const before = area.value
    const selection = [toCodePoints(before, area.selectionStart), toCodePoints(before, area.selectionEnd)] as [number, number]
    const [start, end] = textType.transformSelection(selection, op) as [number, number]
    showText(doc.text, start, end)
  }

  /** Writes `text` into the textarea, keeping its scroll position; the selection at code points `start`–`end`. */
  function showText(text: string, start?: number, end?: number): void {
    const focused = document.activeElement === area
    const { scrollTop } = area
    const direction = area.selectionDirection
    area.value = text
    area.scrollTop = scrollTop
    if (start !== undefined && end !== undefined && focused) area.setSelectionRange(toUnits(text, start), toUnits(text, end), direction)
  }

  const onKey = (event: KeyboardEvent): void => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return
    const key = event.key.toLowerCase()
    if (key === 'z' || key === 'y') {
      // The textarea's own undo would revert the others' edits too.
      event.preventDefault()
      if (key === 'y' || event.shiftKey) doc.redo()
      else doc.undo()
    }
  }

  const onSelection = (): void => {
    if (document.activeElement !== area) return
    const text = area.value
    const start = toCodePoints(text, area.selectionStart)
    const end = toCodePoints(text, area.selectionEnd)
    if (area.selectionDirection === 'backward') doc.select(end, start)
    else doc.select(start, end)
  }

  area.addEventListener('input', onInput)
  area.addEventListener('keydown', onKey)
  document.addEventListener('selectionchange', onSelection)
  doc.on('change', onChange)
  return () => {
    area.removeEventListener('input', onInput)
    area.removeEventListener('keydown', onKey)
    document.removeEventListener('selectionchange', onSelection)
    doc.off('change', onChange)
  }
}
