/**
 * The file of `app-shell.css` (the header, `.badge` and `.refusal` styles), for a page served
 * without a bundler: its server reads it and serves it next to the page (the auth example).
 */
export const APP_SHELL_CSS = new URL('./web/app-shell.css', import.meta.url)
