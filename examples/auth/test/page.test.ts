import type { Page } from 'playwright-core'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { startAuthServer, type AuthServer } from '../src/auth-server.js'
import { usePages } from '../../../test/browser.js'

const pages = usePages()
let server: AuthServer

beforeEach(async () => {
  server = await startAuthServer({ port: 0, tokenTtlSeconds: 2 })
})

afterEach(async () => {
  await server?.close()
})

/** Opens the page and signs in as `name`; resolves once connected, with the session id shown. */
async function signIn(name: string): Promise<{ page: Page; session: string }> {
  const page = await pages.open(server.url, name, { width: 900, height: 560 })
  await page.fill('#name', name)
  await page.press('#name', 'Enter')
  await page.locator('#status[data-state="connected"]').waitFor()
  const session = (await page.locator('#session').textContent()) ?? ''
  expect(session).toMatch(/\S/)
  return { page, session }
}

it('keeps one session through several token lifetimes, each token renewed on the open connection', async () => {
  const { page, session } = await signIn('ada')
  // Two renewals: tokens of 2 s, each replaced shortly before it expires.
  await page.locator('#tokens li:not([data-session=""])').nth(1).waitFor({ timeout: 10_000 })
  const tokens = await page.locator('#tokens li').evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.session))
  expect(tokens.at(-1)).toBe('') // the first one, fetched to connect
  for (const renewedOn of tokens.slice(0, -1)) expect(renewedOn).toBe(session)
  await expect(page.locator('#session').textContent()).resolves.toBe(session)
  await expect(page.locator('#status').getAttribute('data-state')).resolves.toBe('connected')

  await page.click('#whoami')
  await page.locator('#whoami-result', { hasText: 'The server says: you are ada, on a token valid until' }).waitFor()
  await page.screenshot({ path: '/tmp/auth.png' })
})

it('shows the refusal of a tampered token, while its own connection stays up', async () => {
  const { page, session } = await signIn('ada')
  await page.click('#tamper')
  await page.locator('#tamper-result', { hasText: 'Refused: UNAUTHORIZED (Invalid token)' }).waitFor()
  await page.click('#whoami')
  await page.locator('#whoami-result', { hasText: 'you are ada' }).waitFor()
  await expect(page.locator('#session').textContent()).resolves.toBe(session)
})

it('shows the token endpoint’s refusal of a name on the login form', async () => {
  // The refused POST /token is logged by the browser as a failed resource: expected here.
  const page = await pages.open(server.url, 'refused', { width: 900, height: 560 }, { expectErrors: true })
  // 33 characters, set by script: maxlength stops typing at 32, so the server decides.
  await page.evaluate(() => {
    ;(document.getElementById('name') as HTMLInputElement).value = 'x'.repeat(33)
    ;(document.getElementById('login') as HTMLFormElement).requestSubmit()
  })
  await page.locator('#login-error', { hasText: 'name: 1 to 32 letters, digits, _ or -' }).waitFor()
  await expect(page.locator('#app').isHidden()).resolves.toBe(true)
})

it('serves the page, its script and the browser client, the page with a Content-Security-Policy', async () => {
  const page = await fetch(server.url)
  expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
  expect(page.headers.get('content-security-policy')).toContain("default-src 'self'")
  expect(await page.text()).toContain('<script type="module" src="/app.js">')
  expect((await fetch(new URL('/app.js', server.url))).status).toBe(200)
  const client = await fetch(new URL('/realtime/client.mjs', server.url))
  expect(client.status).toBe(200)
  expect(await client.text()).toContain('RealtimeClient')
})
