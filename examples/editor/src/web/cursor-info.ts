import type { RemoteCursor } from '@org/realtime-ot/client'
import type { CursorInfo } from '../types.js'

/** What the server said of a cursor's owner (its `cursorInfo`), checked: it is another client's data. */
export function cursorInfoOf(cursor: RemoteCursor): CursorInfo {
  const info = (cursor.info ?? {}) as Partial<CursorInfo>
  return {
    name: typeof info.name === 'string' ? info.name : 'someone',
    hue: typeof info.hue === 'number' && Number.isFinite(info.hue) ? info.hue : 0,
  }
}
