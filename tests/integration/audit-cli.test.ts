import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSigningKey, signingKeyToPem, rawPublicKey } from '#journal/keys.ts'
import { recordAudit } from '#db/journal/record.ts'
import { runMigrations } from '#db/migrate.ts'
import { openDatabase } from '#db/open.ts'
import { projectRoot } from '#tests/support/app-process.ts'

/**
 * The operator's commands on an embedded database at rest: audit:export (full and one cell),
 * then audit:verify on the files (intact → 0, tampered → 1 naming the entry), and audit:purge.
 */
const directory = mkdtempSync(path.join(tmpdir(), 'cellule-audit-export-'))
const dataDir = path.join(directory, 'data')
const keyFile = path.join(directory, 'audit-key.pem')
const key = generateSigningKey()
const publicKey = rawPublicKey(key.publicKey).toString('base64')
const cellId = randomUUID()
const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, AUDIT_SIGNING_KEY_FILE: keyFile, NODE_ENV: 'production' } as NodeJS.ProcessEnv

function run(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: projectRoot, env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('close', code => resolve({ code, stdout, stderr }))
  })
}

beforeAll(async () => {
  writeFileSync(keyFile, signingKeyToPem(key), { mode: 0o600 })
  const handle = await openDatabase({ kind: 'pglite', dataDir })
  try {
    await runMigrations(handle)
    const old = Date.now() - 400 * 86_400_000
    for (let i = 0; i < 30; i++) {
      await recordAudit(handle.db, { type: 'cell.members.read', outcome: 'success', resource: 'members' }, { cellId: i % 3 === 0 ? randomUUID() : cellId, actorUserId: randomUUID(), ...(i < 5 ? { occurredAtMs: old + i } : {}) })
    }
  } finally {
    await handle.close()
  }
})
afterAll(() => rmSync(directory, { recursive: true, force: true }))

describe('audit:export, audit:verify and audit:purge commands', () => {
  it('exports the whole log and one cell; the verifier accepts both and names a tampered entry', async () => {
    const full = path.join(directory, 'full.json')
    const cell = path.join(directory, 'cell.json')
    const exported = await run('scripts/audit-export.ts', ['--out', full])
    expect(exported.stderr).toBe('')
    expect(exported.code).toBe(0)
    expect(exported.stdout).toMatch(/30 entrée\(s\)/)
    expect(statSync(full).mode & 0o777).toBe(0o600)
    const cellExport = await run('scripts/audit-export.ts', ['--out', cell, '--cell', cellId])
    expect(cellExport.code).toBe(0)
    expect(cellExport.stdout).toMatch(/20 entrée\(s\) de la cellule/)

    const [verifiedFull, verifiedCell] = await Promise.all([run('scripts/audit-verify.ts', [full, '--public-key', publicKey]), run('scripts/audit-verify.ts', [cell, '--public-key', publicKey])])
    expect(verifiedFull.code, verifiedFull.stderr).toBe(0)
    expect(verifiedCell.code, verifiedCell.stderr).toBe(0)

    const tampered = JSON.parse(readFileSync(cell, 'utf8'))
    tampered.leaves.splice(4, 1)
    writeFileSync(path.join(directory, 'tampered.json'), JSON.stringify(tampered))
    const refused = await run('scripts/audit-verify.ts', [path.join(directory, 'tampered.json'), '--public-key', publicKey])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/entrée n° 4/)

    // A forged date placed before the signed one (JSON.parse keeps the last), and a version downgrade.
    const text = readFileSync(full, 'utf8')
    const fourth = (JSON.parse(text) as { leaves: { leaf: { eventId: string } }[] }).leaves[3]!.leaf.eventId
    const signed = new RegExp(`("eventId":\\s*"${fourth}",)`)
    expect(text).toMatch(signed)
    writeFileSync(path.join(directory, 'duplicate.json'), text.replace(signed, '$1"occurredAtMs":0,'))
    writeFileSync(path.join(directory, 'downgraded.json'), JSON.stringify({ ...JSON.parse(text), version: 0 }))
    const [duplicate, downgraded] = await Promise.all([
      run('scripts/audit-verify.ts', [path.join(directory, 'duplicate.json'), '--public-key', publicKey]),
      run('scripts/audit-verify.ts', [path.join(directory, 'downgraded.json'), '--public-key', publicKey]),
    ])
    expect(duplicate.code, duplicate.stderr).toBe(1)
    expect(duplicate.stderr).toMatch(/^entrée n° 3 \(leaf 3\) : clé "leaf\.occurredAtMs" en double/)
    expect(downgraded.code, downgraded.stderr).toBe(1)
    expect(downgraded.stderr).toMatch(/version 0 au lieu de cellule-audit-export version 1 : ce n'est pas la version attendue/)
  })

  it('says so when the journal is empty, and writes no file', async () => {
    const emptyDir = path.join(directory, 'empty')
    const handle = await openDatabase({ kind: 'pglite', dataDir: emptyDir })
    await runMigrations(handle)
    await handle.close()
    const out = path.join(directory, 'empty.json')
    const result = await new Promise<{ code: number | null; stderr: string }>(resolve => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/audit-export.ts', '--out', out], { cwd: projectRoot, env: { ...env, DATA_DIR: emptyDir } })
      let stderr = ''
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      child.on('close', code => resolve({ code, stderr }))
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^Le journal est vide/)
    expect(existsSync(out)).toBe(false)
  })

  it('refuses bad arguments with a one-line French message and no export', async () => {
    const missing = await run('scripts/audit-export.ts', [])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/--out est obligatoire/)
    const badCell = await run('scripts/audit-export.ts', ['--out', path.join(directory, 'x.json'), '--cell', 'pas-un-uuid'])
    expect(badCell.code).toBe(1)
    expect(badCell.stderr).toMatch(/identifiant de cellule/)
  })

  it('purges details past the retention and records the purge; the log still verifies', async () => {
    const purged = await run('scripts/audit-purge.ts', [])
    expect(purged.code, purged.stderr).toBe(0)
    expect(purged.stdout).toMatch(/^5 détail\(s\) purgé\(s\)/)
    const again = await run('scripts/audit-purge.ts', [])
    expect(again.stdout).toMatch(/Rien à purger/)
    const full = path.join(directory, 'after-purge.json')
    expect((await run('scripts/audit-export.ts', ['--out', full])).code).toBe(0)
    const file = JSON.parse(readFileSync(full, 'utf8')) as { leaves: { leaf: { action: string } }[]; details: unknown[] }
    expect(file.leaves.map(entry => entry.leaf.action)).toContain('audit.details.purged')
    expect(file.details).toHaveLength(file.leaves.length - 5)
    const verified = await run('scripts/audit-verify.ts', [full, '--public-key', publicKey])
    expect(verified.code, verified.stderr).toBe(0)
  })
})
