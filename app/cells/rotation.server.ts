import { type z } from 'zod'
import { type RosterState } from '#crypto/roster.ts'
import { type Database } from '#db/database.ts'
import { insertKeyBlobs } from '#db/cells.ts'

import { checkIntakeMatchesRoster } from './identity.server.ts'
import { type rotationSchema } from './schemas.ts'
import { HttpError } from '#app/access/http-error.ts'

type Writer = Pick<Database, 'insert' | 'update' | 'delete' | 'select'>

/**
 * Stores what a rotation produced in the coordinator's browser. The new epoch must be the roster's,
 * and its key sealed to exactly the recipients the roster names (no more, no fewer).
 */
export async function storeRotation({
  tx,
  cellId,
  state,
  rotation,
  linkTypes,
}: {
  tx: Writer
  cellId: string
  state: RosterState
  rotation: z.infer<typeof rotationSchema>
  /** The types of the links just appended: the body must carry what they announce. */
  linkTypes: readonly string[]
}) {
  const rotates = linkTypes.includes('rotate_epoch')
  const publishesIntake = linkTypes.includes('publish_intake_key')
  if (rotates !== (rotation.epoch !== null)) throw new HttpError(422, 'La nouvelle époque annoncée par le registre et les clés envoyées ne concordent pas.')
  if (publishesIntake !== (rotation.intake !== null)) throw new HttpError(422, 'La nouvelle clé de saisine annoncée par le registre manque (ou est en trop).')
  if (rotation.epoch === null) return
  if (rotation.epoch > 0 && rotation.previousEpoch === null) throw new HttpError(422, 'Le lien vers l’époque précédente manque : l’historique deviendrait illisible.')
  if (rotation.indexKey === null) throw new HttpError(422, 'La clé d’index de la cellule doit être rescellée sous la nouvelle époque.')
  if (rotation.intake) checkIntakeMatchesRoster({ bundle: rotation.intake.publicBundle, state, cellId })
  const epoch = state.epochs.get(rotation.epoch)
  if (!epoch || state.currentEpoch !== rotation.epoch) throw new HttpError(422, 'Nouvelle époque absente du registre.')
  const sealedTo = Object.keys(rotation.envelopes).sort()
  if (sealedTo.join(',') !== [...epoch.recipientIds].sort().join(',')) {
    throw new HttpError(422, 'La nouvelle clé de cellule doit être scellée à chaque membre restant, et à eux seuls.')
  }
  await insertKeyBlobs(tx, [
    ...Object.entries(rotation.envelopes).map(([userId, blob]) => ({ cellId, kind: 'cell_epoch_key' as const, epoch: rotation.epoch as number, slot: userId, blob })),
    ...(rotation.previousEpoch ? [{ cellId, kind: 'previous_epoch' as const, epoch: rotation.epoch, slot: '', blob: rotation.previousEpoch }] : []),
    ...(rotation.indexKey ? [{ cellId, kind: 'cell_index_key' as const, epoch: rotation.epoch, slot: '', blob: rotation.indexKey }] : []),
    ...(rotation.intake
      ? [
          { cellId, kind: 'intake_public' as const, epoch: rotation.epoch, slot: String(rotation.intake.index), blob: rotation.intake.publicBundle },
          { cellId, kind: 'intake_secrets' as const, epoch: rotation.epoch, slot: String(rotation.intake.index), blob: rotation.intake.secrets },
        ]
      : []),
  ])
}
