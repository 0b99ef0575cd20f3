import { type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { useLoaderData, useRevalidator } from '@remix-run/react'
import { useState, type ReactNode } from 'react'
import { findProfession } from '#charter/professions.ts'
import { listMembers, listOpenCellInvitations } from '#db/cells.ts'
import { postJson } from '#app/auth/api-client.ts'
import { requireCellPermission } from '#app/access/authorize.server.ts'
import { prepareRotation, type UnlockedKeys } from '#app/cells/cell-client.ts'
import { cellPermissions, navigationFlags } from '#app/cells/view.server.ts'
import { CellNav } from '#app/components/cell-nav.tsx'
import { KeyUnlock } from '#app/components/key-unlock.tsx'
import { InviteForm, PendingInvitation, ROLE_OPTIONS } from '#app/components/member-invitations.tsx'
import { OperationNotice, refusal, type OperationMessage } from '#app/components/operation-message.tsx'
import { RosterGate, type CheckedRoster } from '#app/components/roster-check.tsx'
import { KeyVerificationBadge, UnattestedChangesBanner } from '#app/components/roster-verification.tsx'
import { getOnly } from '#app/utils/http.server.ts'

export const meta: MetaFunction = () => [{ title: 'Membres — Cellule' }]

const ROLE_LABELS = { coordinator: 'Coordination', member: 'Membre', associate: 'Membre associé·e', dpo: 'DPO' } as const

/** GET only: any other method is a French 405. */
export const action = getOnly

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const principal = await requireCellPermission({ request, context, cellId: params.cellId ?? '', action: 'cell:members:read' })
  const db = context.runtime.db.db
  const allowed = cellPermissions(principal)
  const members = await listMembers(db, principal.cell.id)
  const invitations = allowed.has('cell:member:confirm') ? await listOpenCellInvitations(db, principal.cell.id) : []
  return {
    cell: { id: principal.cell.id, name: principal.cell.name },
    userId: principal.userId,
    manage: Boolean(allowed.has('cell:member:remove') && allowed.has('cell:member:set-role')),
    canInvite: allowed.has('cell:member:invite'),
    members: members
      .filter(member => member.status !== 'removed')
      .map(member => ({
        userId: member.userId,
        displayName: member.displayName,
        profession: findProfession(member.profession ?? '')?.label ?? '—',
        role: member.role,
        needsReadmission: member.needsReadmissionSince !== null && member.needsReadmissionSince > member.keysConfirmedAt,
      })),
    invitations: invitations.map(invitation => ({ id: invitation.id, email: invitation.email, role: invitation.role, status: invitation.status, kind: invitation.kind })),
    nav: navigationFlags(allowed),
  }
}

type Member = ReturnType<typeof useLoaderData<typeof loader>>['members'][number]

export default function Members() {
  const data = useLoaderData<typeof loader>()
  const revalidator = useRevalidator()
  const names = Object.fromEntries(data.members.map(member => [member.userId, member.displayName]))
  const [notice, setNotice] = useState<OperationMessage | null>(null)
  return (
    <>
      <CellNav cellId={data.cell.id} cellName={data.cell.name} allowed={data.nav} />
      <h1>Membres</h1>
      <RosterGate cellId={data.cell.id} userId={data.userId}>
        {(roster, reload) => {
          const refresh = () => {
            reload()
            revalidator.revalidate()
          }
          const done = (message: OperationMessage) => {
            setNotice(message)
            refresh()
          }
          const reloadRoster = () => {
            setNotice(null)
            refresh()
          }
          return (
            <>
              <OperationNotice message={notice} onReload={reloadRoster} />
              <UnattestedChangesBanner state={roster.check.state} names={names} homeLink={`/cellules/${data.cell.id}`} />
              {data.manage ? (
                <KeyUnlock
                  locked={
                    <>
                      <MemberTable members={data.members} roster={roster} />
                      <p>Pour confirmer une invitation, changer un rôle ou retirer un membre, déverrouillez vos clés : ces opérations signent le registre depuis votre navigateur.</p>
                    </>
                  }
                >
                  {keys => (
                    <>
                      <MemberTable
                        members={data.members}
                        roster={roster}
                        actions={member =>
                          member.userId === data.userId ? null : <MemberActions member={member} roster={roster} keys={keys} onDone={done} onRosterReload={reloadRoster} />
                        }
                      />
                      {data.invitations.length > 0 ? (
                        <section aria-labelledby="invitations-en-cours-titre">
                          <h2 id="invitations-en-cours-titre">Invitations en cours</h2>
                          <ul>
                            {data.invitations.map(invitation => (
                              <PendingInvitation
                                key={invitation.id}
                                invitation={invitation}
                                roster={roster}
                                keys={keys}
                                onDone={() => done({ kind: 'success', text: `${invitation.email} fait maintenant partie de la cellule.` })}
                                onCancelled={done}
                                onRosterReload={reloadRoster}
                              />
                            ))}
                          </ul>
                        </section>
                      ) : null}
                    </>
                  )}
                </KeyUnlock>
              ) : (
                <MemberTable members={data.members} roster={roster} />
              )}
              {data.canInvite ? <InviteForm cellId={data.cell.id} /> : null}
            </>
          )
        }}
      </RosterGate>
    </>
  )
}

/**
 * Who is a member is what the signed roster says; the server's list only supplies names. Anyone the
 * server lists without a roster link is shown apart, as not recognised. One table: the coordination's
 * actions sit in its last column once their keys are unlocked.
 */
function MemberTable({ members, roster, actions }: { members: Member[]; roster: CheckedRoster; actions?: (member: Member) => ReactNode }) {
  const state = roster.check.state
  const inRoster = members.filter(member => state.members.get(member.userId)?.active)
  const unknown = members.filter(member => !state.members.get(member.userId)?.active)
  return (
    <>
      <div className="fr-table">
        <table>
          <caption className="fr-sr-only">Membres de la cellule inscrits au registre signé, et leurs rôles</caption>
          <thead>
            <tr>
              <th scope="col">Nom</th>
              <th scope="col">Profession</th>
              <th scope="col">Rôle</th>
              {actions ? <th scope="col">Gestion</th> : null}
            </tr>
          </thead>
          <tbody>
            {inRoster.map(member => {
              const role = state.members.get(member.userId)?.role ?? member.role
              return (
                <tr key={member.userId}>
                  <td>
                    {member.displayName}
                    {member.needsReadmission ? <span className="fr-badge fr-badge--warning fr-badge--sm fr-ml-1w">Réadmission requise</span> : null}
                    <KeyVerificationBadge state={state} memberId={member.userId} />
                  </td>
                  <td>{member.profession}</td>
                  <td>{ROLE_LABELS[role]}</td>
                  {actions ? <td>{actions({ ...member, role })}</td> : null}
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
      {unknown.length > 0 ? (
        <div className="fr-alert fr-alert--warning fr-mb-4w" role="alert" data-testid="membres-hors-registre">
          <h2 className="fr-alert__title">Personnes non reconnues par le registre</h2>
          <p>
            Le serveur présente comme membres des personnes qu’aucun maillon signé du registre n’a ajoutées :{' '}
            {unknown.map(member => member.displayName).join(', ')}. Elles ne reçoivent aucune clé ; prévenez la coordination et le ou la DPO.
          </p>
        </div>
      ) : null}
    </>
  )
}

function MemberActions({
  member,
  roster,
  keys,
  onDone,
  onRosterReload,
}: {
  member: Member
  roster: CheckedRoster
  keys: UnlockedKeys
  onDone: (message: OperationMessage) => void
  onRosterReload: () => void
}) {
  const [confirmRemoval, setConfirmRemoval] = useState(false)
  const [role, setRole] = useState<Member['role']>(member.role)
  const [message, setMessage] = useState<OperationMessage | null>(null)
  const [busy, setBusy] = useState(false)

  async function run(intent: 'remove' | 'set-role') {
    setBusy(true)
    setMessage(null)
    try {
      const change = intent === 'remove' ? ({ type: 'remove_member', memberId: member.userId } as const) : ({ type: 'set_role', memberId: member.userId, role } as const)
      const body = prepareRotation({ state: roster.check.state, blobs: roster.response.blobs, keys, change })
      const result = await postJson(`/api/cells/${roster.check.state.cellId}/members/${member.userId}/${intent === 'set-role' ? 'role' : 'remove'}`, { ...body, ...(intent === 'set-role' ? { role } : {}) })
      if (!result.ok) return setMessage(refusal(result))
      onDone({ kind: 'success', text: intent === 'remove' ? `${member.displayName} a été retiré·e ; une nouvelle clé de cellule a été distribuée.` : `Rôle de ${member.displayName} modifié.` })
    } catch (cause) {
      setMessage({ kind: 'error', text: cause instanceof Error ? cause.message : 'L’opération a échoué.' })
    } finally {
      setBusy(false)
    }
  }

  const selectId = `role-${member.userId}`
  return (
    <>
      <OperationNotice
        message={message}
        onReload={() => {
          setMessage(null)
          onRosterReload()
        }}
      />
      <label className="fr-label fr-sr-only" htmlFor={selectId}>
        Rôle de {member.displayName}
      </label>
      <select id={selectId} className="fr-select fr-mb-1w" value={role} onChange={event => setRole(event.target.value as Member['role'])} style={{ minWidth: '12rem' }}>
        {ROLE_OPTIONS.map(option => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      <ul className="fr-btns-group fr-btns-group--inline-sm">
        <li>
          <button type="button" className="fr-btn fr-btn--secondary fr-btn--sm" disabled={busy || role === member.role} onClick={() => void run('set-role')}>
            Changer le rôle<span className="fr-sr-only"> de {member.displayName}</span>
          </button>
        </li>
        <li>
          {confirmRemoval ? (
            <button type="button" className="fr-btn fr-btn--sm" disabled={busy} onClick={() => void run('remove')}>
              Confirmer le retrait de {member.displayName}
            </button>
          ) : (
            <button type="button" className="fr-btn fr-btn--tertiary fr-btn--sm" disabled={busy} onClick={() => setConfirmRemoval(true)}>
              {/* One text run: in DSFR's flex button, loose runs around the hidden name lose their spaces (« Retirerde la cellule »). */}
              <span>
                Retirer<span className="fr-sr-only"> {member.displayName}</span> de la cellule
              </span>
            </button>
          )}
        </li>
      </ul>
    </>
  )
}
