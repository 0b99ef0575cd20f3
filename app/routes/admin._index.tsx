import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react'
import { listCellsForAdmin } from '#db/cells.ts'
import { invitationLinkPath } from '#db/invitations.ts'
import { requirePlatformPermission } from '#app/access/authorize.server.ts'
import { createCellWithFounder } from '#app/cells/cells.server.ts'
import { createCellSchema } from '#app/cells/schemas.ts'
import { Field, FormMessage } from '#app/components/forms.tsx'
import { readForm } from '#app/utils/http.server.ts'

export const meta: MetaFunction = () => [{ title: 'Administration de la plateforme — Cellule' }]

const dateFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' })

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePlatformPermission({ request, context, action: 'platform:cells:list' })
  const cells = await listCellsForAdmin(context.runtime.db.db)
  return { cells: cells.map(cell => ({ id: cell.id, name: cell.name, communes: cell.communes, hostInstitution: cell.hostInstitution, createdAt: dateFormat.format(cell.createdAt) })) }
}

type ActionResult =
  | { ok: false; error: string; fieldErrors: Record<string, string[] | undefined> }
  | { ok: true; name: string; email: string; joinUrl: string; accountUrl: string | null }

export async function action({ request, context }: ActionFunctionArgs) {
  const principal = await requirePlatformPermission({ request, context, action: 'platform:cell:create' })
  const parsed = createCellSchema.safeParse(Object.fromEntries(await readForm(request)))
  if (!parsed.success) {
    return data({ ok: false, error: 'Le formulaire contient des erreurs : corrigez les champs signalés.', fieldErrors: parsed.error.flatten().fieldErrors } satisfies ActionResult, { status: 422 })
  }
  const { cell, invitation, accountToken } = await createCellWithFounder({ db: context.runtime.db.db, values: parsed.data, adminId: principal.userId })
  const origin = new URL(request.url).origin
  const joinPath = `/rejoindre/${invitation.id}`
  return data({
    ok: true,
    name: cell.name,
    email: invitation.email,
    joinUrl: `${origin}${joinPath}`,
    accountUrl: accountToken ? `${origin}${invitationLinkPath(accountToken, joinPath)}` : null,
  } satisfies ActionResult)
}

export default function PlatformAdmin() {
  const { cells } = useLoaderData<typeof loader>()
  const result = useActionData<ActionResult>()
  const navigation = useNavigation()
  const fieldErrors = result && !result.ok ? result.fieldErrors : {}
  return (
    <>
      <h1>Administration de la plateforme</h1>
      <p>Vous créez les cellules et désignez leur première coordination. Vous ne détenez aucune clé et ne voyez aucun contenu.</p>

      <h2>Cellules hébergées</h2>
      {cells.length === 0 ? (
        <p>Aucune cellule pour l’instant.</p>
      ) : (
        <ul>
          {cells.map(cell => (
            <li key={cell.id}>
              <strong>{cell.name}</strong> — {cell.communes.join(', ')} ({cell.hostInstitution}), créée le {cell.createdAt}
            </li>
          ))}
        </ul>
      )}

      <h2 className="fr-mt-6w">Créer une cellule</h2>
      {result?.ok ? (
        <div className="fr-alert fr-alert--success fr-mb-4w" role="status">
          <h3 className="fr-alert__title">Cellule « {result.name} » créée</h3>
          <p>Transmettez à {result.email}, par un canal sûr, {result.accountUrl ? 'ces deux liens (valables 7 jours)' : 'ce lien (valable 7 jours)'} :</p>
          <ul>
            {result.accountUrl ? (
              <li>
                Création du compte : <code data-testid="lien-compte">{result.accountUrl}</code>
              </li>
            ) : null}
            <li>
              Fondation de la cellule : <code data-testid="lien-fondation">{result.joinUrl}</code>
            </li>
          </ul>
          <p>La personne fondera la cellule depuis son navigateur : c’est là que naissent les clés de la cellule.</p>
        </div>
      ) : null}
      {result && !result.ok ? <FormMessage kind="error">{result.error}</FormMessage> : null}
      <Form method="post" noValidate>
        <Field label="Nom de la cellule" errors={fieldErrors.name} inputProps={{ name: 'name', required: true, maxLength: 160 }} />
        <Field label="Communes couvertes" hint="Séparées par des virgules." errors={fieldErrors.communes} inputProps={{ name: 'communes', required: true }} />
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
