import type { ReactNode } from 'react'
import { ConnectionBadge } from './connection-badge.js'

/** What {@link PageHeader} shows. */
export interface PageHeaderProps {
  /** The page's title, in its `<h1>`. */
  readonly title: ReactNode
  /**
   * Who this page is, in `#me`.
   * @default none: no `#me`
   */
  readonly me?: string
  /**
   * Whether the header shows the connection, `<ConnectionBadge id="status" className="badge" />`
   * (under a `RealtimeProvider`).
   * @default true
   */
  readonly badge?: boolean
  /**
   * More of the header, after the badge (a Leave button…).
   * @default none
   */
  readonly children?: ReactNode
}

/** The page's `<header>`: the title, who this page is, the connection, then `children` (styled by `app-shell.css`). */
export function PageHeader({ title, me, badge = true, children }: PageHeaderProps): ReactNode {
  return (
    <header>
      <h1>{title}</h1>
      {me !== undefined && <span id="me">{me}</span>}
      {badge && <ConnectionBadge id="status" className="badge" />}
      {children}
    </header>
  )
}
