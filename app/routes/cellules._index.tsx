import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react'
import { requireSignedInActor } from '#app/access/authorize.server.ts'
import { dismissNotice, dismissNoticeSchema, myCellsView } from '#app/cells/my-cells.server.ts'
import { FormMessage } from '#app/components/forms.tsx'
import { readForm } from '#app/utils/http.server.ts'

export const meta: MetaFunction = () => [{ title: 'Mes cellules — Cellule' }]

const ROLE_LABELS = { coordinator: 'Coordination', member: 'Membre', associate: 'Membre associé·e', dpo: 'DPO' } as const
const ROLE_NAMES = { coordinator: 'coordination', member: 'membre', associate: 'membre associé·e', dpo: 'DPO' } as const

export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await requireSignedInActor({ request, context, audit: { action: 'account.cells.read', resource: 'my-cells' } })
  const view = await myCellsView(context.runtime.db.db, principal.userId)
  return { ...view, isPlatformAdmin: principal.actor.platformRole === 'platform_admin' }
}

/** « J’ai pris connaissance »: the person's own notice, nothing of a cell's content. */
export async function action({ request, context }: ActionFunctionArgs) {
  const principal = await requireSignedInActor({ request, context, audit: { action: 'account.notice.dismissed', resource: 'my-cells' } })
  const parsed = dismissNoticeSchema.safeParse(Object.fromEntries(await readForm(request)))
  if (!parsed.success) return data({ error: 'Demande invalide : rechargez la page et recommencez.' }, { status: 400 })
  const dismissed = await dismissNotice({ db: context.runtime.db.db, userId: principal.userId, cellId: parsed.data.cellId })
  if (!dismissed) return data({ error: 'Cet avis a déjà été lu : il n’y a plus rien à faire.' }, { status: 409 })
  return data({ ok: true })
}

type Notice = ReturnType<typeof useLoaderData<typeof loader>>['notices'][number]

function noticeText(notice: Notice): string {
  switch (notice.notice) {
    case 'removed':
      return `Le ${notice.at}, la coordination vous a retiré·e de la cellule « ${notice.cellName} ». Vos sessions ont été fermées à ce moment-là et vous n’avez plus accès à ses données. Si vous pensez qu’il s’agit d’une erreur, contactez sa coordination.`
    case 'role_changed':
      return `Le ${notice.at}, la coordination de « ${notice.cellName} » a changé votre rôle : vous êtes désormais ${ROLE_NAMES[notice.role]}. Vos sessions ont été fermées à ce moment-là, par sécurité ; ce que vous pouvez consulter suit maintenant ce rôle.`
    default: {
      const unreachable: never = notice.notice
      return unreachable
    }
  }
}

export default function MyCells() {
  const { cells: myCells, invitations, notices, isPlatformAdmin } = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()
  return (
    <>
      <h1>Mes cellules</h1>
      {result && 'error' in result ? <FormMessage kind="error">{result.error}</FormMessage> : null}
      {notices.length > 0 ? (
        <section aria-labelledby="avis-titre" className="fr-mb-4w">
          <h2 id="avis-titre">Ce qui a changé depuis votre dernière visite</h2>
          {notices.map(notice => (
            <div key={notice.cellId} className="fr-alert fr-alert--info fr-mb-2w" data-testid={`avis-${notice.notice}`}>
              <p>{noticeText(notice)}</p>
              <Form method="post" className="fr-mt-1w">
                <input type="hidden" name="intent" value="notice-dismissed" />
                <input type="hidden" name="cellId" value={notice.cellId} />
                <button type="submit" className="fr-btn fr-btn--sm fr-btn--secondary">
                  J’ai pris connaissance<span className="fr-sr-only"> de l’avis sur « {notice.cellName} »</span>
                </button>
              </Form>
            </div>
          ))}
        </section>
      ) : null}
      {invitations.length > 0 ? (
        <section aria-labelledby="invitations-titre" className="fr-mb-4w">
          <h2 id="invitations-titre">Invitations en attente</h2>
          <ul>
            {invitations.map(invitation => (
              <li key={invitation.id}>
                <Link to={`/rejoindre/${invitation.id}`}>
                  {invitation.kind === 'founding' ? 'Fonder' : 'Rejoindre'} « {invitation.cellName} »
                </Link>
                {invitation.kind === 'founding' ? null : ` — comme ${ROLE_NAMES[invitation.role]}`}
                {invitation.invitationStatus === 'answered' ? ' (code saisi : la coordination doit confirmer votre arrivée avec vous)' : ''}
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
