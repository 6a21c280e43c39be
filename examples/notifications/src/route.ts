/**
 * The realtime endpoint as a Next.js App Router route handler: this file is `app/realtime/route.ts`
 * (and `./realtime.ts` is `lib/realtime.ts`); the page connects to `/realtime` with the SSE
 * transport exactly as it does to the Node.js server. The HTTP transports tell requests apart by
 * their query string, so every method goes to the one handler: GET opens or resumes an event
 * stream, POST carries frames up, DELETE ends a session, OPTIONS answers CORS preflights.
 *
 * Sessions live in this process: run the app as one long-lived Node.js server (`next start`, a
 * container), not as serverless or edge functions, where the POSTs of a session could reach an
 * instance that never saw it.
 */
import { rt } from './realtime.js'

export const GET = (request: Request): Promise<Response> => rt.handleRequest(request)
export const POST = GET
export const DELETE = GET
export const OPTIONS = GET

/** Node.js, not the edge runtime: sessions and their streams are kept in this process's memory. */
export const runtime = 'nodejs'
/** Never prerender or cache: every GET is a live event stream. */
export const dynamic = 'force-dynamic'
