import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { BackupError, backupEmbeddedDatabase, restoreEmbeddedDatabase } from '#db/backup.ts'
import { listCellDirectory } from '#db/cells.ts'
import { DataDirLockedError } from '#db/lock.ts'
import { runMigrations } from '#db/migrate.ts'
import { openDatabase } from '#db/open.ts'
import { cells } from '#db/schema.ts'
import { seedDemo } from '#server/demo/cell.ts'

const workDir = mkdtempSync(path.join(tmpdir(), 'cellule-backup-'))
const dataDir = path.join(workDir, 'data')
const archive = path.join(workDir, 'sauvegarde.tar.gz')
afterAll(() => rmSync(workDir, { recursive: true, force: true }))

async function slugs() {
  const handle = await openDatabase({ kind: 'pglite', dataDir })
  try {
    return (await listCellDirectory(handle.db)).map(cell => cell.slug).sort()
  } finally {
    await handle.close()
  }
}

async function addCell(slug: string) {
  const handle = await openDatabase({ kind: 'pglite', dataDir })
  await handle.db.insert(cells).values({ slug, name: `Cellule ${slug}`, hostInstitution: 'Test', dpoContact: 'dpo@test.fr' })
  await handle.close()
}

describe('backup and restore of the embedded database', () => {
  it('restores exactly the state at backup time and keeps the replaced database aside', async () => {
    const handle = await openDatabase({ kind: 'pglite', dataDir })
    await runMigrations(handle)
    await seedDemo(handle.db)
    await handle.close()
    await addCell('avant-sauvegarde')

    const { bytes } = await backupEmbeddedDatabase({ dataDir, outFile: archive })
    expect(bytes).toBeGreaterThan(1000)

    await addCell('apres-sauvegarde')
    expect(await slugs()).toEqual(['apres-sauvegarde', 'avant-sauvegarde', 'sevran'])

    const { previous } = await restoreEmbeddedDatabase({ dataDir, inFile: archive })
    expect(await slugs()).toEqual(['avant-sauvegarde', 'sevran'])
    expect(previous && existsSync(previous)).toBe(true)
  })

  it('refuses to back up, restore or reopen while the database is held', async () => {
    const handle = await openDatabase({ kind: 'pglite', dataDir })
    try {
      await expect(backupEmbeddedDatabase({ dataDir, outFile: path.join(workDir, 'x.tar.gz') })).rejects.toBeInstanceOf(DataDirLockedError)
      await expect(restoreEmbeddedDatabase({ dataDir, inFile: archive })).rejects.toBeInstanceOf(DataDirLockedError)
      await expect(openDatabase({ kind: 'pglite', dataDir })).rejects.toThrow(/déjà ouverte/)
    } finally {
      await handle.close()
    }
    expect(existsSync(path.join(workDir, 'x.tar.gz'))).toBe(false)
  })

  it('takes over a lock left by a process that no longer exists', async () => {
    writeFileSync(path.join(dataDir, 'cellule.lock'), '999999')
    expect(await slugs()).toEqual(['avant-sauvegarde', 'sevran'])
  })

  it('refuses a file that is not a Cellule backup and changes nothing', async () => {
    const bogus = path.join(workDir, 'bogus.tar.gz')
    writeFileSync(bogus, 'ceci n’est pas une sauvegarde')
    await expect(restoreEmbeddedDatabase({ dataDir, inFile: bogus })).rejects.toBeInstanceOf(BackupError)
    await expect(restoreEmbeddedDatabase({ dataDir, inFile: path.join(workDir, 'absent.tar.gz') })).rejects.toThrow(/introuvable/)
    expect(await slugs()).toEqual(['avant-sauvegarde', 'sevran'])
  })
})
