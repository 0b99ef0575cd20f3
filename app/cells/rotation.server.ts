import { type z } from 'zod'
import { type ParsedRosterLink } from '#crypto/roster-links.ts'
import { type RosterState } from '#crypto/roster.ts'
import { planRotation, type RosterChange } from '#crypto/rotation.ts'
import { type Database } from '#db/database.ts'
import { insertKeyBlobs, type KeyBlobKind } from '#db/cells.ts'
import { HttpError } from '#app/access/http-error.ts'
import { type rosterChangeSchema } from './schemas.ts'

type Writer = Pick<Database, 'insert' | 'update' | 'delete' | 'select'>
type RosterChangeBody = z.infer<typeof rosterChangeSchema>

/** The change a coordinator's first link makes, in the planner's terms. */
export function changeFromLink(link: ParsedRosterLink | undefined): RosterChange {
  const payload = link?.payload
  switch (payload?.type) {
    case 'add_member':
    case 'remove_member':
    case 'set_role':
    case 'key_change':
      return payload
    default:
      throw new HttpError(422, 'Le premier maillon doit être l’ajout, le retrait, le changement de rôle ou de clés d’un membre.')
  }
}

const SEALED_KIND = { seal_cell_epoch_key: 'cell_epoch_key', seal_index_key: 'index_key', seal_intake_seed: 'intake_seed' } as const

function sealedKey({ kind, epoch, slot }: { kind: string; epoch: number; slot: string }): string {
  return `${kind}:${epoch}:${slot}`
}

/**
 * Stores what a roster change produced in the coordinator's browser, after checking it against the
 * same planner the browser ran, on the roster as it was before: the links in the planned order, and
 * exactly the planned seals (no recipient more, none fewer), the chains to the earlier epoch, the new
 * epoch and intake index the roster now names. The server holds no key: it checks shapes and
 * recipients, the browsers check the seals (honest-server defence in depth, review §3.6).
 */
export async function storeRosterChange({
  tx,
  cellId,
  previous,
  state,
  parsed,
  body,
}: {
  tx: Writer
  cellId: string
  previous: RosterState | null
  state: RosterState
  parsed: ParsedRosterLink[]
  body: RosterChangeBody
}): Promise<RosterChange> {
  if (!previous) throw new HttpError(409, 'La cellule n’a pas encore été fondée.')
  const change = changeFromLink(parsed[0])
  const plan = planRotation({ state: previous, change, situations: [] })
  const plannedLinks = plan.operations.flatMap(operation => (operation.type === 'append_roster_link' ? [operation.link] : []))
  if (plannedLinks.join(',') !== parsed.map(link => link.payload.type).join(',')) {
    throw new HttpError(422, `Les maillons envoyés ne correspondent pas à ce changement (attendu : ${plannedLinks.join(', ')}). Rechargez la page et recommencez.`)
  }
  if ((plan.newCellEpoch ?? null) !== body.epoch || (plan.newCellEpoch !== undefined && state.currentEpoch !== plan.newCellEpoch)) {
    throw new HttpError(422, 'La nouvelle époque annoncée par le registre et les clés envoyées ne concordent pas.')
  }
  if ((plan.newIntakeIndex ?? null) !== body.intakeIndex || (plan.newIntakeIndex !== undefined && state.currentIntakeIndex !== plan.newIntakeIndex)) {
    throw new HttpError(422, 'La nouvelle clé de saisine annoncée par le registre manque (ou est en trop).')
  }
  if (state.rotationRequired) throw new HttpError(422, 'La rotation des clés manque : le membre retiré pourrait encore lire la suite.')
  if (state.intakeRotationRequired) throw new HttpError(422, 'La nouvelle clé de saisine manque : la personne qui quitte le tri pourrait encore ouvrir les saisines.')
  const chained = plan.newCellEpoch !== undefined && plan.newCellEpoch > 0
  if (chained !== (body.previousEpoch !== null) || chained !== (body.previousIndexKey !== null)) {
    throw new HttpError(422, 'Le lien vers l’époque précédente manque (ou est en trop) : l’historique deviendrait illisible.')
  }
  const planned = plan.operations.flatMap(operation =>
    operation.type === 'seal_cell_epoch_key' || operation.type === 'seal_index_key'
      ? [sealedKey({ kind: SEALED_KIND[operation.type], epoch: operation.epoch, slot: operation.recipientId })]
      : operation.type === 'seal_intake_seed'
        ? [sealedKey({ kind: SEALED_KIND[operation.type], epoch: operation.index, slot: operation.recipientId })]
        : [],
  )
  const sent = body.sealed.map(sealedKey)
  if (new Set(sent).size !== sent.length || [...planned].sort().join('|') !== [...sent].sort().join('|')) {
    throw new HttpError(422, 'Les clés doivent être scellées à chaque personne qui y a droit, et à elles seules.')
  }
  const epoch = plan.newCellEpoch
  await insertKeyBlobs(
    tx,
    [
      ...body.sealed.map(({ kind, epoch: at, slot, blob }) => ({ cellId, kind: kind as KeyBlobKind, epoch: at, slot, blob })),
      ...(epoch !== undefined && body.previousEpoch ? [{ cellId, kind: 'previous_epoch' as const, epoch, slot: '', blob: body.previousEpoch }] : []),
      ...(epoch !== undefined && body.previousIndexKey ? [{ cellId, kind: 'previous_index_key' as const, epoch, slot: '', blob: body.previousIndexKey }] : []),
    ],
    // A member re-added within an epoch (a former DPO) gets a new seal in the same slot.
    { replace: true },
  )
  return change
}
