import { describe, expect, it } from 'vitest'
import { auditActionSchema } from '#journal/actions.ts'
import { auditEventSchema } from '#db/journal/events.ts'

describe('one event union over one vocabulary', () => {
  it('has exactly one event per journal action (the compiler checks it too)', () => {
    const types = auditEventSchema.options.map((option) => option.shape.type.value)
    expect(new Set(types).size).toBe(types.length)
    expect([...types].sort()).toEqual([...auditActionSchema.options].sort())
  })
})
