/** Fields of `data` that name its user, tried in this order by the default `identity`. */
const USER_FIELDS = ['userId', 'user', 'sub', 'id'] as const

/** Fields of a token that change with every token of the same user: the default ignores them. */
const TIME_CLAIMS = new Set(['exp', 'iat', 'nbf'])

/**
 * The default `identity` option: the first of `data.userId`, `data.user`, `data.sub` and `data.id`
 * that is present; without any of them, all of `data` but its `exp`, `iat` and `nbf` fields.
 */
export function defaultIdentity(data: unknown): unknown {
  if (typeof data !== 'object' || data === null) return data
  const fields = data as Record<string, unknown>
  for (const field of USER_FIELDS) if (Object.hasOwn(fields, field) && fields[field] !== undefined) return fields[field]
  if (Array.isArray(data)) return data
  // Without a prototype, a field named `__proto__` is a field like any other.
  const rest = Object.create(null) as Record<string, unknown>
  for (const field of Object.keys(fields)) if (!TIME_CLAIMS.has(field)) rest[field] = fields[field]
  return rest
}

/**
 * An identity as JSON with the keys of every object sorted, so that two identities are the same
 * user exactly when their keys are equal strings; undefined when it cannot be encoded (a cycle, a
 * `BigInt`), which matches no identity at all. Values that are not JSON (a `Map`, a function)
 * compare as JSON would encode them.
 */
export function identityKey(identity: unknown): string | undefined {
  try {
    return JSON.stringify([identity], sortKeys)
  } catch {
    return undefined
  }
}

function sortKeys(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value
  const sorted = Object.create(null) as Record<string, unknown>
  for (const key of Object.keys(value).sort()) sorted[key] = (value as Record<string, unknown>)[key]
  return sorted
}
