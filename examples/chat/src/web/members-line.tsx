import type { ReactNode } from 'react'

/** Who is in the room, by name, those away marked. */
export function MembersLine({ members }: { members: ReadonlyMap<string, boolean> }): ReactNode {
  const names = [...members.keys()].sort().map((name) => (members.get(name) === true ? `${name} (away)` : name))
  return <p id="members">{names.length === 0 ? '' : `Here: ${names.join(', ')}`}</p>
}
