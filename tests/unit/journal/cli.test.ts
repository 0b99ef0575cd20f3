import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { type AuditVectors } from './vector-cases.ts'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/audit-log-vectors.json', import.meta.url), 'utf8')) as AuditVectors
const directory = mkdtempSync(path.join(tmpdir(), 'cellule-audit-cli-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

function write(name: string, content: unknown): string {
  const file = path.join(directory, name)
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content))
  return file
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts', ...args], { cwd: root })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('audit-verify CLI', () => {
  it('exits 0 when intact, 1 with the first bad entry when tampered, 2 when unreadable', async () => {
    const tampered = structuredClone(fixture.exports.full)
    tampered.leaves[10]!.leaf.occurredAtMs += 1
    const known = write('known.txt', fixture.checkpoints[3]!)
    const [intact, bad, garbage, usage] = await Promise.all([
      run([write('full.json', fixture.exports.full), '--public-key', fixture.key.publicKey, '--known', known]),
      run([write('bad.json', tampered), '--public-key', fixture.key.publicKey]),
      run([write('garbage.json', '{ not json')]),
      run([]),
    ])
    expect(intact).toMatchObject({ code: 0, stderr: '' })
    expect(intact.stdout).toMatch(/^Journal intact : 40 entrées \(export complet\), 4 checkpoints, taille 40/)
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/^entrée n° 10 \(leaf 10\) : .* \/ entry 10 \(leaf 10\): .*\n$/)
    expect(bad.stderr.split('\n')).toHaveLength(2)
    expect(garbage).toMatchObject({ code: 2, stderr: expect.stringMatching(/JSON invalide/) })
    expect(usage).toMatchObject({ code: 2, stderr: expect.stringMatching(/^Usage/) })
  })

  it('exits 1 for a duplicate JSON key and for an envelope claiming another version; 2 for a truncated or missing file', async () => {
    const text = JSON.stringify(fixture.exports.full)
    const signed = `"eventId":"${fixture.exports.full.leaves[10]!.leaf.eventId}",`
    // A forged value before the signed one: JSON.parse would keep the signed one and hide it.
    const forged = text.replace(signed, () => `${signed}"occurredAtMs":0,`)
    expect(forged).not.toBe(text)
    const [duplicate, downgraded, unknown, truncated, missing] = await Promise.all([
      run([write('duplicate.json', forged), '--public-key', fixture.key.publicKey]),
      run([write('downgraded.json', { ...fixture.exports.full, version: 0 }), '--public-key', fixture.key.publicKey]),
      run([write('unknown.json', { ...fixture.exports.full, version: 2 })]),
      run([write('truncated.json', text.slice(0, text.length / 2))]),
      run([path.join(directory, 'absent.json')]),
    ])
    expect(duplicate.code).toBe(1)
    expect(duplicate.stderr).toMatch(/^entrée n° 10 \(leaf 10\) : clé "leaf\.occurredAtMs" en double : .* \/ entry 10 \(leaf 10\): duplicate key "leaf\.occurredAtMs".*\n$/)
    expect(duplicate.stderr.split('\n')).toHaveLength(2)
    expect(downgraded.code).toBe(1)
    expect(downgraded.stderr).toMatch(/^l'export se déclare version 0 au lieu de cellule-audit-export version 1 : ce n'est pas la version attendue .* \/ the export claims version 0 instead of cellule-audit-export version 1: not the expected version/)
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringMatching(/version 2 au lieu de/) })
    expect(truncated).toMatchObject({ code: 2, stderr: expect.stringMatching(/JSON invalide/) })
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringMatching(/^export illisible : .*absent\.json \(ENOENT\)/) })
  })
})
