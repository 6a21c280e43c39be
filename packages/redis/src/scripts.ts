import type { Redis } from 'ioredis'

/**
 * Appends a message to a room's history and publishes it, atomically, so offsets are assigned in
 * one order everywhere and a room's messages are published in the order of their offsets.
 * KEYS: meta hash, stream. ARGV: epoch to start with, now (ms), most messages kept, ms kept (0:
 * forever), channel ('' publishes nothing), packet text, '1' for sharded pub/sub, and for a retry
 * (an append whose answer was lost) the text of its first try: when one of the last 64 entries
 * is that text, it is not appended twice. Answers { epoch, offset }.
 */
const APPEND = `
local epoch = redis.call('HGET', KEYS[1], 'e')
if not epoch then
  epoch = ARGV[1]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'e', epoch, 'o', 0)
end
local maxlen = tonumber(ARGV[3])
local age = tonumber(ARGV[4])
if ARGV[8] ~= '' and maxlen > 0 then
  local recent = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 64)
  for _, entry in ipairs(recent) do
    if entry[2][4] == ARGV[8] then return { epoch, tonumber(string.match(entry[1], '^(%d+)')) } end
  end
end
local offset = redis.call('HINCRBY', KEYS[1], 'o', 1)
if maxlen > 0 then
  redis.call('XADD', KEYS[2], 'MAXLEN', maxlen, offset .. '-0', 'a', ARGV[2], 'p', ARGV[6])
  if age > 0 then
    local cutoff = tonumber(ARGV[2]) - age
    local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
    if first and (tonumber(first[2][2]) or 0) <= cutoff then
      local batch = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 100)
      local keep = nil
      for _, entry in ipairs(batch) do
        if (tonumber(entry[2][2]) or 0) > cutoff then keep = entry[1] break end
      end
      if not keep then keep = (tonumber(string.match(batch[#batch][1], '^(%d+)')) + 1) .. '-0' end
      redis.call('XTRIM', KEYS[2], 'MINID', keep)
    end
    redis.call('PEXPIRE', KEYS[2], age)
  end
end
if age > 0 then redis.call('PEXPIRE', KEYS[1], age) end
if ARGV[5] ~= '' then
  local message = '[1,"' .. epoch .. '",' .. offset .. ',' .. ARGV[2] .. ']\\n' .. ARGV[6]
  if ARGV[7] == '1' then redis.call('SPUBLISH', ARGV[5], message) else redis.call('PUBLISH', ARGV[5], message) end
end
return { epoch, offset }
`

/**
 * Where a room's history stands, starting it (with the given epoch) when it has none, and its
 * last messages. KEYS: meta hash, stream. ARGV: epoch to start with, ms the history is kept (0:
 * forever), most entries to read from the end. Answers { epoch, offset, entries newest first }.
 */
const OPEN = `
local epoch = redis.call('HGET', KEYS[1], 'e')
if not epoch then
  epoch = ARGV[1]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'e', epoch, 'o', 0)
end
if tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
local offset = redis.call('HGET', KEYS[1], 'o')
local entries = {}
if tonumber(ARGV[3]) > 0 then entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', ARGV[3]) end
return { epoch, tonumber(offset), entries }
`

/**
 * A room's epoch and last offset (false when it has no history), and its entries from an id on.
 * KEYS: meta hash, stream. ARGV: first id, most entries. Answers { epoch, offset, entries }.
 */
const READ = `
local meta = redis.call('HMGET', KEYS[1], 'e', 'o')
local entries = {}
if meta[1] and tonumber(ARGV[2]) > 0 then entries = redis.call('XRANGE', KEYS[2], ARGV[1], '+', 'COUNT', ARGV[2]) end
return { meta[1], tonumber(meta[2] or '0'), entries }
`

/** A Redis client with the scripts of this package defined on it. */
export interface ScriptedRedis extends Redis {
  rtAppend(meta: string, stream: string, ...args: Array<string | number>): Promise<[string, number]>
  rtOpen(meta: string, stream: string, epoch: string, ageMs: number, tail: number): Promise<[string, number, unknown[]]>
  rtRead(meta: string, stream: string, from: string, count: number): Promise<[string | null, number, unknown[]]>
}

/** Defines the scripts on `redis` (sent once by hash, loaded again if Redis forgot them). */
export function withScripts(redis: Redis): ScriptedRedis {
  const scripted = redis as ScriptedRedis
  if (typeof scripted.rtAppend !== 'function') {
    redis.defineCommand('rtAppend', { numberOfKeys: 2, lua: APPEND })
    redis.defineCommand('rtOpen', { numberOfKeys: 2, lua: OPEN })
    redis.defineCommand('rtRead', { numberOfKeys: 2, lua: READ })
  }
  return scripted
}
