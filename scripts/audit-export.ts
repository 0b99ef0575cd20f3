/**
 * `npm run audit:export -- --out FILE [--cell CELL_ID] [--since-size N] [--no-details]`
 * Seals what is queued, signs a checkpoint if the log grew, and writes an export that
 * `npm run audit:verify -- FILE` checks offline. Full scope by default (every leaf: for the
 * operator or a national auditor), one cell with `--cell` (what a cell's DPO gets). Details
 * (who, from where) are included unless `--no-details`; the file is written readable by its
 * owner only. With the embedded database the server must be stopped (its data directory lock).
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { uuidSchema } from '#journal/leaf.ts'
import { signCheckpointIfGrown } from '#db/journal/checkpoints.ts'
import { exportAuditLog } from '#db/journal/export.ts'
import { readLogHead, sequenceAll } from '#db/journal/sequencer.ts'
import { loadAuditSigner } from '#db/journal/service.ts'
import { loadConfigOrExit } from '#server/config.ts'
import { openConfiguredDatabase } from './open-configured.ts'
import { runCommand } from './run-command.ts'

const USAGE = 'Usage : npm run audit:export -- --out FICHIER [--cell ID_CELLULE] [--since-size N] [--no-details]'

await runCommand(async () => {
  let values: { out?: string; cell?: string; 'since-size'?: string; 'no-details'?: boolean }
  try {
    ;({ values } = parseArgs({ options: { out: { type: 'string' }, cell: { type: 'string' }, 'since-size': { type: 'string' }, 'no-details': { type: 'boolean' } }, strict: true }))
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${USAGE}`)
  }
  if (!values.out) throw new Error(`--out est obligatoire / --out is required\n${USAGE}`)
  const cellId = values.cell?.toLowerCase()
  if (cellId !== undefined && !uuidSchema.safeParse(cellId).success) throw new Error(`--cell : identifiant de cellule (UUID) attendu / cell id (UUID) expected`)
  const sinceSize = values['since-size'] === undefined ? undefined : Number(values['since-size'])
  if (sinceSize !== undefined && (!Number.isSafeInteger(sinceSize) || sinceSize < 1)) throw new Error('--since-size : entier positif attendu / positive integer expected')
  const config = loadConfigOrExit()
  const keyFile = config.AUDIT_SIGNING_KEY_FILE ?? path.resolve(config.DATA_DIR, 'audit-signing-key.pem')
  const handle = await openConfiguredDatabase(config)
  try {
    // Never a new key: an export is signed by the log's own checkpoints.
    const { signer } = await loadAuditSigner(handle.db, { keyFile, allowCreate: false, host: config.auditLogHost })
    const sealed = await sequenceAll(handle.db)
    if ((await readLogHead(handle.db)).treeSize === 0) throw new Error('Le journal est vide : aucun événement à exporter. / The log is empty: nothing to export.')
    await signCheckpointIfGrown(handle.db, signer)
    const file = await exportAuditLog(handle.db, { key: signer.key, origin: signer.origin, cellId, sinceSize, includeDetails: !values['no-details'] })
    writeFileSync(values.out, JSON.stringify(file, null, 1), { mode: 0o600 })
    const size = file.checkpoints.length
    return [
      `Export écrit / export written: ${values.out}`,
      `${file.leaves.length} entrée(s) ${cellId ? `de la cellule ${cellId}` : '(journal complet)'}, ${file.details?.length ?? 0} détail(s), ${size} point(s) de contrôle signé(s); ${sealed} événement(s) scellé(s) à l'instant.`,
      `Vérifier / verify: npm run audit:verify -- ${values.out} --public-key ${file.publicKey}`,
    ].join('\n')
  } finally {
    await handle.close()
  }
})
