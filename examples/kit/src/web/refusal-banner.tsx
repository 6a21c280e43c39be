import { useRealtime } from '@org/realtime-react'
import type { ReactNode } from 'react'

/** What {@link RefusalBanner} shows, and where. */
export interface RefusalBannerProps {
  /**
   * The refusal or failure to show (a rejected `emitWithAck`, a table's or document's error…).
   * @default the client's last error, `useRealtime().error`
   */
  readonly error?: unknown
  /**
   * The element's id, for the page's styles and tests.
   * @default 'refusal'
   */
  readonly id?: string
  /**
   * The element's class.
   * @default none
   */
  readonly className?: string
}

/**
 * The latest refusal or failure as `CODE: message` (`PAYLOAD_TOO_LARGE`, `RATE_LIMITED`,
 * `FORBIDDEN`…), with `data-code`: nothing fails silently. Empty (but there, as a live region)
 * while there is none.
 */
export function RefusalBanner({ error, id = 'refusal', className }: RefusalBannerProps): ReactNode {
  const { error: clientError } = useRealtime()
  const shown = error ?? clientError
  if (shown === undefined) return <p id={id} className={className} role="alert" />
  const code = typeof (shown as { code?: unknown }).code === 'string' ? (shown as { code: string }).code : 'ERROR'
  const message = shown instanceof Error ? shown.message : String(shown)
  return (
    <p id={id} className={className} role="alert" data-code={code}>
      <code>{code}</code>: {message}
    </p>
  )
}
