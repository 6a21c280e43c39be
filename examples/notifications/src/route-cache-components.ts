/**
 * The same route for a Next.js 16 app with `cacheComponents: true`, which refuses route segment
 * config (`runtime`, `dynamic`): this file is then `app/realtime/route.ts`. Nothing is lost
 * without them: a route handler runs on Node.js by default, and one that reads its `request`, as
 * this one does, is never prerendered or cached.
 */
import { rt } from './realtime.js'

const handle = (request: Request): Promise<Response> => rt.handleRequest(request)
export { handle as DELETE, handle as GET, handle as OPTIONS, handle as POST }
