import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { listCellsForAdmin } from '#db/cells.ts'
import { invitationLinkPath } from '#db/invitations.ts'
import { requirePlatformPermission } from '#app/access/authorize.server.ts'
import { archiveCell, CellNameTakenError, createCellWithFounder } from '#app/cells/cells.server.ts'
import { archiveCellSchema, createCellSchema } from '#app/cells/schemas.ts'
import { AdminCellList, ArchiveConfirmation } from '#app/components/admin-cells.tsx'
import { Field, FormMessage } from '#app/components/forms.tsx'
import { readForm } from '#app/utils/http.server.ts'

export const meta: MetaFunction = () => [{ title: 'Administration de la plateforme — Cellule' }]

const dateFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' })

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePlatformPermission({ request, context, action: 'platform:cells:list' })
  const rows = await listCellsForAdmin(context.runtime.db.db)
  const cells = rows.map(cell => ({ ...cell, createdAt: dateFormat.format(cell.createdAt), archivedAt: cell.archivedAt ? dateFormat.format(cell.archivedAt) : null }))
  // The confirmation step (?archiver=<id>): only for an empty cell in service.
  const toArchive = new URL(request.url).searchParams.get('archiver')
  const confirming = cells.find(cell => cell.id === toArchive && !cell.archivedAt && cell.people === 0)
  return { cells, confirming: confirming ? { id: confirming.id, name: confirming.name } : null }
}

type ActionResult =
  | { intent: 'create'; ok: false; error: string; fieldErrors: Record<string, string[] | undefined> }
  | { intent: 'create'; ok: true; cellId: string; name: string; email: string; joinUrl: string; accountUrl: string | null }
  | { intent: 'archive'; ok: boolean; error?: string; done?: string }

const ARCHIVE_REFUSALS = {
  not_found: 'Cette cellule n’existe pas : rechargez la page.',
  already_archived: 'Cette cellule est déjà archivée.',
  not_empty: 'Cette cellule a des membres ou une invitation en cours : elle ne peut pas être archivée. Seule une cellule vide peut l’être.',
} as const

/** The confirmation step posts to `?archiver=<id>`: the guard decides on the URL, before the body is read. */
async function archive({ request, context, cellId }: { request: Request; context: ActionFunctionArgs['context']; cellId: string }) {
  const principal = await requirePlatformPermission({ request, context, action: 'platform:cell:archive' })
  const parsed = archiveCellSchema.safeParse({ ...Object.fromEntries(await readForm(request)), cellId })
  if (!parsed.success) return data({ intent: 'archive', ok: false, error: parsed.error.issues[0]?.message ?? 'Demande invalide.' } satisfies ActionResult, { status: 422 })
  const outcome = await archiveCell({ db: context.runtime.db.db, cellId: parsed.data.cellId, adminId: principal.userId })
  if (!outcome.archived) return data({ intent: 'archive', ok: false, error: ARCHIVE_REFUSALS[outcome.reason] } satisfies ActionResult, { status: 409 })
  return data({ intent: 'archive', ok: true, done: 'Cellule archivée : elle n’apparaît plus sur la page d’accueil.' } satisfies ActionResult)
}

export async function action({ request, context }: ActionFunctionArgs) {
  const archiving = new URL(request.url).searchParams.get('archiver')
  if (archiving !== null) return archive({ request, context, cellId: archiving })
  const principal = await requirePlatformPermission({ request, context, action: 'platform:cell:create' })
  const parsed = createCellSchema.safeParse(Object.fromEntries(await readForm(request)))
  const refused = (fieldErrors: Record<string, string[] | undefined>) =>
    data({ intent: 'create', ok: false, error: 'Le formulaire contient des erreurs : corrigez les champs signalés.', fieldErrors } satisfies ActionResult, { status: 422 })
  if (!parsed.success) return refused(parsed.error.flatten().fieldErrors)
  let created: Awaited<ReturnType<typeof createCellWithFounder>>
  try {
    created = await createCellWithFounder({ db: context.runtime.db.db, values: parsed.data, adminId: principal.userId })
  } catch (error) {
    if (error instanceof CellNameTakenError) return refused({ name: ['Une cellule en service porte déjà ce nom : choisissez-en un autre, ou archivez d’abord l’ancienne si elle est vide.'] })
    throw error
  }
  const { cell, invitation, accountToken } = created
  const origin = new URL(request.url).origin
  const joinPath = `/rejoindre/${invitation.id}`
  return data({
    intent: 'create',
    ok: true,
    cellId: cell.id,
    name: cell.name,
    email: invitation.email,
    joinUrl: `${origin}${joinPath}`,
    accountUrl: accountToken ? `${origin}${invitationLinkPath(accountToken, joinPath)}` : null,
  } satisfies ActionResult)
}

export default function PlatformAdmin() {
  const { cells, confirming } = useLoaderData<typeof loader>()
  const result = useActionData<ActionResult>()
  const navigation = useNavigation()
  const created = result?.intent === 'create' && result.ok ? result : null
  const fieldErrors = result?.intent === 'create' && !result.ok ? result.fieldErrors : {}
  return (
    <>
      <h1>Administration de la plateforme</h1>
      <p>Vous créez les cellules et désignez leur première coordination. Vous ne détenez aucune clé et ne voyez aucun contenu.</p>

      <h2>Cellules hébergées</h2>
      {result?.intent === 'archive' ? <FormMessage kind={result.ok ? 'success' : 'error'}>{result.ok ? result.done : result.error}</FormMessage> : null}
      {confirming ? <ArchiveConfirmation cell={confirming} busy={navigation.state !== 'idle'} /> : null}
      <AdminCellList cells={cells} />

      <h2 className="fr-mt-6w">Créer une cellule</h2>
      {created ? (
        <div className="fr-alert fr-alert--success fr-mb-4w" role="status">
          <h3 className="fr-alert__title">Cellule « {created.name} » créée</h3>
          <p>Transmettez à {created.email}, par un canal sûr, {created.accountUrl ? 'ces deux liens (valables 7 jours)' : 'ce lien (valable 7 jours)'} :</p>
          <ul>
            {created.accountUrl ? (
              <li>
                Création du compte : <code data-testid="lien-compte">{created.accountUrl}</code>
              </li>
            ) : null}
            <li>
              Fondation de la cellule : <code data-testid="lien-fondation">{created.joinUrl}</code>
            </li>
          </ul>
          <p>La personne fondera la cellule depuis son navigateur : c’est là que naissent les clés de la cellule. Le formulaire ci-dessous est vide, prêt pour une autre cellule.</p>
        </div>
      ) : null}
      {result?.intent === 'create' && !result.ok ? <FormMessage kind="error">{result.error}</FormMessage> : null}
      {/* A new key after each creation empties the form: a second click cannot make a twin. */}
      <Form method="post" action="/admin?index" noValidate key={created?.cellId ?? 'nouvelle'}>
        <Field label="Nom de la cellule" errors={fieldErrors.name} inputProps={{ name: 'name', required: true, maxLength: 160 }} />
        <Field label="Communes couvertes" hint="Séparées par des virgules, par exemple « Sevran, Villepinte »." errors={fieldErrors.communes} inputProps={{ name: 'communes', required: true }} />
        <Field label="Institution porteuse" hint="Commune, Département, établissement…" errors={fieldErrors.hostInstitution} inputProps={{ name: 'hostInstitution', required: true }} />
        <Field label="Adresse électronique du ou de la DPO" errors={fieldErrors.dpoContact} inputProps={{ name: 'dpoContact', type: 'email', required: true }} />
        <Field label="Adresse électronique de la première coordination" errors={fieldErrors.coordinatorEmail} inputProps={{ name: 'coordinatorEmail', type: 'email', required: true }} />
        <button className="fr-btn" type="submit" disabled={navigation.state !== 'idle'}>
          Créer la cellule
        </button>
      </Form>
    </>
  )
}
