import { describe, expect, it } from 'vitest'
import { AuditWriteError } from '#db/journal/record.ts'
import { loggableError } from '#app/utils/loggable-error.server.ts'

describe('what of an error reaches the logs', () => {
  it('keeps the query text and SQLSTATE, never the parameters, through the causes', () => {
    const database = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' })
    const query = new Error('Failed query: insert into audit_details (actor_user_id, detail) values ($1, $2)\nparams: 4f0c…,{"ip":"203.0.113.7","email":"marie@ville.fr"}', { cause: database })
    const logged = JSON.stringify(loggableError(new Error('wrapped', { cause: query })))
    expect(logged).toContain('Failed query: insert into audit_details')
    expect(logged).toContain('23505')
    expect(logged).not.toContain('203.0.113.7')
    expect(logged).not.toContain('marie@ville.fr')
  })

  it('an audit write failure carries the SQLSTATE only, not the failed query', () => {
    const failure = new AuditWriteError(new Error('Failed query: with queued as (…)\nparams: salt-and-detail', { cause: Object.assign(new Error('permission denied'), { code: '42501' }) }))
    expect(failure.code).toBe('42501')
    expect(JSON.stringify(loggableError(failure))).not.toContain('salt-and-detail')
    expect(failure.cause).toBeUndefined()
  })
})
