import type { PresenceMember } from '@org/realtime-react/presence'
import type { PersonMeta } from '../types.js'

/** The name a member shows: the meta of its latest tab, else its key. */
export function nameOf(member: PresenceMember<PersonMeta>): string {
  return member.metas.at(-1)?.meta.name ?? member.key
}

/** Up to two letters: the first of the first and last words, or the first two of a single word. */
export function initials(name: string): string {
  const words = name.split(/\s+/).filter(Boolean)
  return (words.length > 1 ? `${words[0]![0]}${words.at(-1)![0]}` : name.slice(0, 2)).toUpperCase()
}

/** A hue for the avatar, the same for a key everywhere. */
export function hue(key: string): number {
  let hash = 0
  for (const char of key) hash = (hash * 31 + char.codePointAt(0)!) % 360
  return hash
}
