import { type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { findUserById } from '#db/accounts.ts'
import { listMyCells, listPendingInvitationsFor } from '#db/cells.ts'
import { requireSignedInActor } from '#app/access/authorize.server.ts'
import { getOnly } from '#app/utils/http.server.ts'

export const meta: MetaFunction = () => [{ title: 'Mes cellules — Cellule' }]

const ROLE_LABELS = { coordinator: 'Coordination', member: 'Membre', associate: 'Membre associé·e', dpo: 'DPO' } as const

/** GET only: any other method is a French 405. */
export const action = getOnly

export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await requireSignedInActor({ request, context, audit: { action: 'account.cells.read', resource: 'my-cells' } })
  const db = context.runtime.db.db
  const user = await findUserById(db, principal.userId)
  const mine = await listMyCells(db, principal.userId)
  const invitations = user ? await listPendingInvitationsFor(db, user.email) : []
  return { cells: mine.filter(cell => cell.status !== 'removed'), invitations, isPlatformAdmin: principal.actor.platformRole === 'platform_admin' }
}

export default function MyCells() {
  const { cells: myCells, invitations, isPlatformAdmin } = useLoaderData<typeof loader>()
  return (
    <>
      <h1>Mes cellules</h1>
      {invitations.length > 0 ? (
        <section aria-labelledby="invitations-titre" className="fr-mb-4w">
          <h2 id="invitations-titre">Invitations en attente</h2>
          <ul>
            {invitations.map(invitation => (
              <li key={invitation.id}>
                <Link to={`/rejoindre/${invitation.id}`}>
                  {invitation.kind === 'founding' ? 'Fonder' : 'Rejoindre'} « {invitation.cellName} »
                </Link>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {myCells.length === 0 ? (
        <p>Vous n’êtes membre d’aucune cellule. La coordination d’une cellule peut vous inviter ; l’invitation se confirme en personne.</p>
      ) : (
        <ul className="fr-grid-row fr-grid-row--gutters" style={{ listStyle: 'none', paddingLeft: 0 }}>
          {myCells.map(cell => (
            <li key={cell.id} className="fr-col-12 fr-col-md-6">
              <div className="fr-card fr-enlarge-link">
                <div className="fr-card__body">
                  <div className="fr-card__content">
                    <h2 className="fr-card__title fr-h5">
                      <Link to={`/cellules/${cell.id}`}>{cell.name}</Link>
                    </h2>
                    <p className="fr-card__desc">
                      {ROLE_LABELS[cell.role]} — {cell.communes.join(', ')}
                    </p>
                  </div>
                </div>
              </div>
            </li>
          ))}
        </ul>
      )}
      {isPlatformAdmin ? (
        <p className="fr-mt-4w">
          <Link to="/admin">Administration de la plateforme</Link>
        </p>
      ) : null}
    </>
  )
}
