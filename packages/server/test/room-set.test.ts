import { describe, expect, it } from 'vitest'
import { RoomSet } from '../src/internal/room-set.js'

describe('RoomSet (the rooms of a connection)', () => {
  it('behaves as a Set of strings through none, one and many rooms, and back', () => {
    const rooms = new RoomSet()
    const same = new Set<string>()
    const check = (): void => {
      expect(rooms.size).toBe(same.size)
      expect([...rooms]).toEqual([...same])
      expect([...rooms.values()]).toEqual([...same.values()])
      expect([...rooms.keys()]).toEqual([...same.keys()])
      expect([...rooms.entries()]).toEqual([...same.entries()])
      const seen: string[] = []
      rooms.forEach((room, again, set) => {
        expect(again).toBe(room)
        expect(set).toBe(rooms)
        seen.push(room)
      })
      expect(seen).toEqual([...same])
      for (const room of ['a', 'b', 'c', 'z']) expect(rooms.has(room)).toBe(same.has(room))
    }
    check()
    const steps: Array<['add' | 'delete', string]> = [
      ['add', 'a'],
      ['add', 'a'],
      ['delete', 'b'],
      ['delete', 'a'],
      ['delete', 'a'],
      ['add', 'b'],
      ['add', 'c'],
      ['add', 'a'],
      ['delete', 'c'],
      ['delete', 'b'],
      ['add', 'z'],
    ]
    for (const [operation, room] of steps) {
      if (operation === 'add') expect(rooms.add(room)).toBe(rooms)
      else expect(rooms.delete(room)).toBe(same.has(room))
      if (operation === 'add') same.add(room)
      else same.delete(room)
      check()
    }
    rooms.clear()
    same.clear()
    check()
  })
})
