import { type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { useLoaderData } from '@remix-run/react'
import { useEffect, useState } from 'react'
import { charterSigningMessage } from '#charter/hash.ts'
import { fromBase64Url } from '#crypto/encoding.ts'
import { verifySignature } from '#crypto/primitives.ts'
import { parseRosterLink } from '#crypto/roster-links.ts'
import { listCharterSignatures, listMembers } from '#db/cells.ts'
import { requireCellPermission } from '#app/access/authorize.server.ts'
import { cellPermissions, navigationFlags } from '#app/cells/view.server.ts'
import { CellNav } from '#app/components/cell-nav.tsx'
import { RosterGate, type CheckedRoster } from '#app/components/roster-check.tsx'
import { getOnly } from '#app/utils/http.server.ts'

export const meta: MetaFunction = () => [{ title: 'Registre et signatures — Cellule' }]

const dateFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'short', timeStyle: 'short', timeZone: 'Europe/Paris' })
const LINK_LABELS: Record<string, string> = {
  genesis: 'Fondation de la cellule',
  add_member: 'Ajout d’un membre',
  remove_member: 'Retrait d’un membre',
  set_role: 'Changement de rôle',
  rotate_epoch: 'Nouvelle clé de cellule',
  publish_intake_key: 'Clé de saisine publiée',
  key_change: 'Changement de clés (réadmission)',
  verification_attestation: 'Attestation du code du registre',
  charter_version: 'Version de la charte',
}

/** Roster history and charter signatures: members and the DPO see who did what, never a key or content. */
/** GET only: any other method is a French 405. */
export const action = getOnly

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  // The page names members and signatories: the members permission, not only the roster's (public keys).
  const principal = await requireCellPermission({ request, context, cellId: params.cellId ?? '', action: 'cell:members:read' })
  const db = context.runtime.db.db
  const members = await listMembers(db, principal.cell.id)
  const names = new Map(members.map(member => [member.userId, member.displayName]))
  const signatures = await listCharterSignatures(db, principal.cell.id)
  return {
    cell: { id: principal.cell.id, name: principal.cell.name },
    userId: principal.userId,
    names: Object.fromEntries(names),
    signatures: signatures.map(signature => ({ ...signature, signedAt: dateFormat.format(signature.signedAt) })),
    nav: navigationFlags(cellPermissions(principal)),
  }
}

type Signature = ReturnType<typeof useLoaderData<typeof loader>>['signatures'][number]

export default function RosterHistory() {
  const data = useLoaderData<typeof loader>()
  return (
    <>
      <CellNav cellId={data.cell.id} cellName={data.cell.name} allowed={data.nav} />
      <h1>Registre et signatures</h1>
      <RosterGate cellId={data.cell.id} userId={data.userId}>
        {roster => (
          <>
            <h2>Historique du registre</h2>
            <HistoryTable roster={roster} names={data.names} />
            <h2>Signatures de la charte</h2>
            <SignatureTable signatures={data.signatures} roster={roster} cellId={data.cell.id} />
          </>
        )}
      </RosterGate>
    </>
  )
}

/** The history as the validated links themselves say it (type, signer, date), not as the server lists it. */
function HistoryTable({ roster, names }: { roster: CheckedRoster; names: Record<string, string> }) {
  const entries = roster.response.links.map(link => parseRosterLink(link))
  return (
    <div className="fr-table">
      {/* Wider than a phone, the table scrolls: keyboard users must reach it (axe scrollable-region-focusable). */}
      <table tabIndex={0}>
        <caption className="fr-sr-only">Maillons du registre signé de la cellule</caption>
        <thead>
          <tr>
            <th scope="col">N°</th>
            <th scope="col">Opération</th>
            <th scope="col">Signée par</th>
            <th scope="col">Date</th>
          </tr>
        </thead>
        <tbody>
          {entries.map(entry => (
            <tr key={entry.seq}>
              <td>{entry.seq}</td>
              <td>{LINK_LABELS[entry.payload.type] ?? entry.payload.type}</td>
              <td>{names[entry.authorId] ?? 'Personne inconnue'}</td>
              <td>{dateFormat.format(new Date(entry.createdAtMs))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** Each signature is checked in this browser against the keys of the validated roster. */
function SignatureTable({ signatures, roster, cellId }: { signatures: Signature[]; roster: CheckedRoster; cellId: string }) {
  const [verified, setVerified] = useState<Record<string, boolean>>({})
  useEffect(() => {
    const results: Record<string, boolean> = {}
    for (const signature of signatures) {
      const member = roster.check.state.members.get(signature.userId)
      const message = charterSigningMessage({ cellId, version: signature.version, hash: signature.hash })
      results[`${signature.userId}:${signature.version}`] = Boolean(
        member?.signKeyHistory.some(publicKey => verifySignature({ signature: fromBase64Url(signature.signature), message, publicKey })),
      )
    }
    setVerified(results)
  }, [signatures, roster, cellId])
  return (
    <div className="fr-table">
      {/* Wider than a phone, the table scrolls: keyboard users must reach it (axe scrollable-region-focusable). */}
      <table tabIndex={0}>
        <caption className="fr-sr-only">Signatures de chaque version de la charte</caption>
        <thead>
          <tr>
            <th scope="col">Membre</th>
            <th scope="col">Version</th>
            <th scope="col">Date</th>
            <th scope="col">Vérification</th>
          </tr>
        </thead>
        <tbody>
          {signatures.map(signature => {
            const ok = verified[`${signature.userId}:${signature.version}`]
            return (
              <tr key={`${signature.userId}:${signature.version}`}>
                <td>{signature.displayName}</td>
                <td>{signature.version}</td>
                <td>{signature.signedAt}</td>
                <td>{ok === undefined ? 'vérification…' : ok ? 'Signature valide' : 'Signature INVALIDE'}</td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </div>
  )
}
