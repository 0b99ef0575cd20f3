import { existsSync, readdirSync, renameSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import { acquireDataDirLock } from './lock.ts'
import { pgliteDirectory } from './open.ts'

export class BackupError extends Error {
  override name = 'BackupError'
}

const GZIP_MAGIC = [0x1f, 0x8b]

/** Writes a gzip tarball of the embedded database; the server must be stopped (the lock says so). */
export async function backupEmbeddedDatabase({ dataDir, outFile }: { dataDir: string; outFile: string }) {
  const directory = pgliteDirectory(dataDir)
  if (!existsSync(directory)) {
    throw new BackupError(`Aucune base embarquée dans « ${dataDir} » / no embedded database in "${dataDir}"`)
  }
  const releaseLock = acquireDataDirLock(dataDir)
  try {
    const client = await PGlite.create(directory)
    try {
      const dump = await client.dumpDataDir('gzip')
      const bytes = new Uint8Array(await dump.arrayBuffer())
      await writeFile(outFile, bytes, { mode: 0o600 })
      return { bytes: bytes.byteLength }
    } finally {
      await client.close()
    }
  } finally {
    releaseLock()
  }
}

/**
 * Checks the archive in memory first, then moves the current database aside (never deletes it)
 * and loads the archive in its place.
 */
export async function restoreEmbeddedDatabase({ dataDir, inFile }: { dataDir: string; inFile: string }) {
  if (!existsSync(inFile)) throw new BackupError(`Fichier introuvable / file not found: ${inFile}`)
  const bytes = await readFile(inFile)
  if (bytes[0] !== GZIP_MAGIC[0] || bytes[1] !== GZIP_MAGIC[1]) {
    throw new BackupError(`« ${inFile} » n'est pas une sauvegarde Cellule (gzip attendu) / not a Cellule backup (gzip expected)`)
  }
  const archive = new Blob([bytes], { type: 'application/x-gzip' })
  const probe = await PGlite.create({ loadDataDir: archive }).catch(() => {
    throw new BackupError(`« ${inFile} » est illisible / unreadable backup`)
  })
  try {
    const result = await probe.query<{ present: boolean }>("select to_regclass('public.cells') is not null as present")
    if (!result.rows[0]?.present) {
      throw new BackupError(`« ${inFile} » ne contient pas de base Cellule / contains no Cellule database`)
    }
  } finally {
    await probe.close()
  }

  const releaseLock = acquireDataDirLock(dataDir)
  try {
    const directory = pgliteDirectory(dataDir)
    let previous: string | undefined
    if (existsSync(directory) && readdirSync(directory).length > 0) {
      previous = `${directory}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`
      renameSync(directory, previous)
    }
    const client = await PGlite.create(directory, { loadDataDir: archive })
    await client.query('select 1')
    await client.close()
    return { previous }
  } finally {
    releaseLock()
  }
}
