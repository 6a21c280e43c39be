import { describe, expect, it } from 'vitest'
import { checkWalLevel, compileFilter, parseTableChannel, tableChannelName } from '../src/index.js'

const columns = new Map([
  ['id', 'int8'],
  ['list_id', 'int4'],
  ['title', 'text'],
  ['score', 'float8'],
  ['done', 'bool'],
  ['due', 'date'],
  ['owner', 'uuid'],
  ['blob', 'bytea'],
])

describe('table channel names', () => {
  it('round-trips schema, table, filter and columns, encoding & % # + in the filter', () => {
    const name = tableChannelName({ schema: 'public', table: 'todos', filter: 'title=eq.a&b%c', columns: ['id', 'title'] })
    expect(name).toBe('db:public:todos?filter=title=eq.a%26b%25c&columns=id,title')
    expect(parseTableChannel(name)).toEqual({ schema: 'public', table: 'todos', filter: 'title=eq.a&b%c', columns: ['id', 'title'] })
    expect(parseTableChannel('db:public:todos')).toEqual({ schema: 'public', table: 'todos', filter: undefined, columns: undefined })
  })

  it('rejects names that are not table channels', () => {
    for (const name of ['room:1', 'db:todos', 'db:a:b:c', 'db:public:todos?x=1', 'db:public:todos?filter', 'db:public:todos?filter=%E0%A4%A', 'db:public:todos?columns=a,,b']) {
      expect(parseTableChannel(name), name).toBeUndefined()
    }
  })
})

describe('compileFilter', () => {
  it('matches each operator against values of the column type', () => {
    const row = { id: '9007199254740993', list_id: 42, title: 'milk', score: 2.5, done: true, due: '2024-03-05', owner: '123E4567-E89B-12D3-A456-426614174000' }
    const cases: Array<[string, boolean]> = [
      ['list_id=eq.42', true],
      ['list_id=neq.42', false],
      ['list_id=lt.43', true],
      ['list_id=lte.41', false],
      ['list_id=gt.41', true],
      ['list_id=gte.43', false],
      ['list_id=in.(1,42,3)', true],
      ['id=eq.9007199254740993', true],
      ['id=eq.9007199254740992', false],
      ['title=eq.milk', true],
      ['title=in.("milk, whole",milk)', true],
      ['title=gt.apple', true],
      ['score=gte.2.5', true],
      ['done=eq.true', true],
      ['due=lt.2024-03-06', true],
      ['owner=eq.123e4567-e89b-12d3-a456-426614174000', true],
    ]
    for (const [filter, expected] of cases) expect(compileFilter(filter, columns).matches(row), filter).toBe(expected)
  })

  it('never matches a null or missing value, or a missing row', () => {
    const filter = compileFilter('list_id=neq.1', columns)
    expect(filter.matches({ list_id: null })).toBe(false)
    expect(filter.matches({})).toBe(false)
    expect(filter.matches(undefined)).toBe(false)
  })

  it('refuses bad syntax, operators, columns, types and values with BAD_REQUEST', () => {
    const bad = ['list_id', 'list_id=42', 'list_id=like.4%', 'nope=eq.1', 'blob=eq.x', 'list_id=eq.4x', 'list_id=eq.99999999999999999999', 'done=eq.1', 'due=eq.yesterday', 'owner=eq.123', 'list_id=in.1,2', `list_id=in.(${Array.from({ length: 51 }, () => 1).join(',')})`]
    for (const filter of bad) expect(() => compileFilter(filter, columns), filter).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }))
  })
})

describe('checkWalLevel', () => {
  it('says how to enable logical replication when wal_level is not logical', async () => {
    // A stand-in for the connection: only the answer to SHOW wal_level matters here.
    const replica = { query: async () => ({ rows: [{ wal_level: 'replica' }] }) } as never
    const error = await checkWalLevel(replica)
    expect(error?.message).toContain('wal_level=replica')
    expect(error?.message).toContain('ALTER SYSTEM SET wal_level = logical')
  })
})
