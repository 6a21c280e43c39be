/** The path of a request URL such as `/realtime?transport=sse`, without its query. */
export function pathOf(url: string | undefined): string {
  if (url === undefined) return '/'
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}
