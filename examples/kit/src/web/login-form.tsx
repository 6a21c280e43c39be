import { useState, type ReactNode } from 'react'

/** What {@link LoginForm} asks for, and how it looks. */
export interface LoginFormProps {
  /**
   * The page's title, in a `<header>` above the form.
   * @default none: no header
   */
  readonly title?: ReactNode
  /**
   * Whether the header shows the page's `#status` badge, "not connected" (`data-state="idle"`),
   * where the connected page shows its `ConnectionBadge`.
   * @default false
   */
  readonly statusBadge?: boolean
  /**
   * The label of the `#name` input.
   * @default 'Your name'
   */
  readonly label?: string
  /**
   * The text of the submit button.
   * @default 'Enter'
   */
  readonly submit?: string
  /**
   * The input's `maxLength`; the server checks the length too.
   * @default 32
   */
  readonly maxLength?: number
  /**
   * The input's `autoComplete`.
   * @default 'off'
   */
  readonly autoComplete?: string
  /**
   * Whether the name is lower-cased before `onEnter` (and the input not capitalized), for user
   * names that are ids.
   * @default false
   */
  readonly lowerCase?: boolean
  /**
   * The server's refusal of the last name, shown in `#login-error` (a live region).
   * @default none: no `#login-error`
   */
  readonly error?: string
  /**
   * The class of `#login-error`.
   * @default 'error'
   */
  readonly errorClassName?: string
  /** Called with the name entered, trimmed (and lower-cased with `lowerCase`), unless it is empty. */
  readonly onEnter: (name: string) => void
}

/**
 * The form `#login` that asks for a name before the page connects: `#name`, a submit button and,
 * given `error`, `#login-error`; with `title`, a header above it.
 */
export function LoginForm({ title, statusBadge = false, label = 'Your name', submit = 'Enter', maxLength = 32, autoComplete = 'off', lowerCase = false, error, errorClassName = 'error', onEnter }: LoginFormProps): ReactNode {
  const [value, setValue] = useState('')
  return (
    <>
      {title !== undefined && (
        <header>
          <h1>{title}</h1>
          {statusBadge && (
            <span id="status" className="badge" data-state="idle">
              not connected
            </span>
          )}
        </header>
      )}
      <form
        id="login"
        onSubmit={(event) => {
          event.preventDefault()
          const name = lowerCase ? value.trim().toLowerCase() : value.trim()
          if (name !== '') onEnter(name)
        }}
      >
        <label htmlFor="name">{label}</label>
        <input id="name" maxLength={maxLength} required autoComplete={autoComplete} autoCapitalize={lowerCase ? 'none' : undefined} autoFocus value={value} onChange={(event) => setValue(event.target.value)} />
        <button type="submit">{submit}</button>
        {error !== undefined && (
          <p id="login-error" className={errorClassName} role="alert">
            {error}
          </p>
        )}
      </form>
    </>
  )
}
