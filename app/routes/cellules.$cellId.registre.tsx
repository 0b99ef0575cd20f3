import { type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { useLoaderData } from '@remix-run/react'
import { useEffect, useState } from 'react'
import { charterSigningMessage } from '#charter/hash.ts'
import { fromBase64Url } from '#crypto/encoding.ts'
import { verifySignature } from '#crypto/primitives.ts'
import { type MemberRole } from '#crypto/formats.ts'
import { parseRosterLink, type RosterLinkType, type RosterPayload } from '#crypto/roster-links.ts'
import { keyVerification } from '#crypto/roster-verification.ts'
import { listCharterSignatures, listMembers } from '#db/cells.ts'
import { requireCellPermission } from '#app/access/authorize.server.ts'
import { cellPermissions, navigationFlags } from '#app/cells/view.server.ts'
import { CellNav } from '#app/components/cell-nav.tsx'
import { RosterGate, type CheckedRoster } from '#app/components/roster-check.tsx'
import { KeyVerificationBadge, UnattestedChangesBanner } from '#app/components/roster-verification.tsx'
import { getOnly } from '#app/utils/http.server.ts'

export const meta: MetaFunction = () => [{ title: 'Registre et signatures — Cellule' }]

const dateFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'short', timeStyle: 'short', timeZone: 'Europe/Paris' })
const LINK_LABELS: Record<RosterLinkType, string> = {
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
const ROLE_LABELS: Record<MemberRole, string> = { coordinator: 'coordination', member: 'membre', associate: 'membre associé·e', dpo: 'DPO' }

/** What a link is about, in words: whom it concerns, which state an attestation vouches for. */
function linkDetail({ payload, names }: { payload: RosterPayload; names: Record<string, string> }): string {
  const nameOf = (memberId: string) => names[memberId] ?? 'personne inconnue du serveur'
  switch (payload.type) {
    case 'genesis':
      return nameOf(payload.founder.memberId)
    case 'add_member':
      return `${nameOf(payload.memberId)} (${ROLE_LABELS[payload.role]})`
    case 'remove_member':
    case 'key_change':
      return nameOf(payload.memberId)
    case 'set_role':
      return `${nameOf(payload.memberId)} : ${ROLE_LABELS[payload.role]}`
    case 'rotate_epoch':
      return `époque ${payload.epoch}, ${payload.recipientIds.length} destinataire(s)`
    case 'publish_intake_key':
      return `clé n° ${payload.index}`
    case 'verification_attestation':
      return `atteste l’état n° ${payload.attestedSeq}`
    case 'charter_version':
      return `version ${payload.version}`
    default: {
      const unreachable: never = payload
      return unreachable
    }
  }
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
            <UnattestedChangesBanner state={roster.check.state} names={data.names} homeLink={`/cellules/${data.cell.id}`} />
            <h2>Vérification des clés en réunion</h2>
            <KeyVerificationTable roster={roster} names={data.names} />
            <h2>Historique du registre</h2>
            <p>
              Le code du registre porte sur l’état n° {roster.check.state.securityHeadSeq}, le dernier maillon qui n’est pas une attestation ; les
              attestations qui le suivent ne le changent pas.
            </p>
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
            <th scope="col">Détail</th>
            <th scope="col">Signée par</th>
            <th scope="col">Date</th>
          </tr>
        </thead>
        <tbody>
          {entries.map(entry => (
            <tr key={entry.seq}>
              <td>{entry.seq}</td>
              <td>{LINK_LABELS[entry.payload.type]}</td>
              <td>{linkDetail({ payload: entry.payload, names })}</td>
              <td>{names[entry.authorId] ?? 'Personne inconnue'}</td>
              <td>{dateFormat.format(new Date(entry.createdAtMs))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

/** Each active member of the validated roster and whether a meeting attestation covers their current keys. */
function KeyVerificationTable({ roster, names }: { roster: CheckedRoster; names: Record<string, string> }) {
  const active = [...roster.check.state.members.values()].filter(member => member.active)
  return (
    <div className="fr-table">
      <table tabIndex={0}>
        <caption className="fr-sr-only">Membres du registre et vérification de leurs clés en réunion</caption>
        <thead>
          <tr>
            <th scope="col">Membre</th>
            <th scope="col">Clés inscrites à l’état n°</th>
            <th scope="col">Vérification</th>
          </tr>
        </thead>
        <tbody>
          {active.map(member => (
            <tr key={member.memberId}>
              <td>{names[member.memberId] ?? 'Personne inconnue'}</td>
              <td>{keyVerification({ state: roster.check.state, memberId: member.memberId })?.keysSetAtSeq ?? '—'}</td>
              <td>
                <KeyVerificationBadge state={roster.check.state} memberId={member.memberId} />
              </td>
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
        member?.signKeys.some(({ publicKey }) => verifySignature({ signature: fromBase64Url(signature.signature), message, publicKey })),
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
