import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, useActionData, useLoaderData, useNavigation, useSearchParams } from '@remix-run/react'
import { recordAudit } from '#db/journal/record.ts'
import { enableTotp, findUserById, readTotpSecret, setPendingTotpSecret } from '#db/accounts.ts'
import { requireSession } from '#app/access/authorize.server.ts'
import { upgradeSessionAfterSecondFactor } from '#app/auth/session.server.ts'
import { checkTotp, generateTotpSecret, totpEnrolment } from '#app/auth/totp.server.ts'
import { totpCodeSchema } from '#app/auth/schemas.ts'
import { safeRedirect } from '#app/auth/redirect.ts'
import { Field } from '#app/components/forms.tsx'
import { readForm } from '#app/utils/http.server.ts'

export const meta: MetaFunction = () => [{ title: 'Double authentification — Cellule' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { session, user: sessionUser } = await requireSession({ request, context, need: 'password' })
  // Where the person was going survives every step (issue 12, item 7).
  const suite = safeRedirect(new URL(request.url).searchParams.get('suite'), '/compte')
  if (sessionUser.totpEnabled) {
    throw redirect(session.mfaVerified ? suite : `/connexion?${new URLSearchParams({ etape: 'totp', redirectTo: suite })}`)
  }
  const db = context.runtime.db.db
  const user = await findUserById(db, sessionUser.id)
  if (!user) throw redirect('/connexion')
  let secret = readTotpSecret(user, context.runtime.totpKey)
  if (!secret) {
    secret = generateTotpSecret()
    await setPendingTotpSecret(db, { userId: user.id, secret, key: context.runtime.totpKey })
  }
  return data(await totpEnrolment({ secret, email: user.email }), )
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, user: sessionUser } = await requireSession({ request, context, need: 'password' })
  const form = await readForm(request)
  const code = totpCodeSchema.safeParse(form.get('code') ?? '')
  const suite = safeRedirect(String(form.get('suite') ?? ''), '/compte?activation=totp')
  if (!code.success) return data({ error: code.error.issues[0]?.message ?? 'Code invalide.' }, { status: 422 })
  const db = context.runtime.db.db
  const user = await findUserById(db, sessionUser.id)
  const secret = user && !user.totpEnabledAt ? readTotpSecret(user, context.runtime.totpKey) : null
  if (!user || !secret) throw redirect('/compte')
  const limiter = context.runtime.throttles.totp
  const keys = [`account:${user.id}`]
  // Counted as a failure until it succeeds, so that parallel guesses cannot all pass this check.
  const wait = await limiter.attempt(keys)
  if (wait > 0) {
    await recordAudit(db, { type: 'auth.mfa', outcome: 'failure', data: { reason: 'throttled' } }, { actorUserId: user.id, ipAddress: context.clientIp })
    return data({ error: 'Trop de codes incorrects. Patientez quelques minutes avant de réessayer.' }, { status: 429, headers: { 'Retry-After': String(wait) } })
  }
  const check = checkTotp({ secret, email: user.email, code: code.data, lastStep: user.totpLastStep })
  if (!check.ok) {
    await recordAudit(db, { type: 'auth.mfa', outcome: 'failure', data: { reason: check.reason } }, { actorUserId: user.id, ipAddress: context.clientIp })
    return data({ error: 'Code incorrect. Vérifiez que l’heure de votre téléphone est juste et saisissez le code affiché.' }, { status: 422 })
  }
  const enabled = await db.transaction(async tx => {
    if (!(await enableTotp(tx, { userId: user.id, step: check.step }))) return false
    await recordAudit(tx, { type: 'auth.mfa.enrolled', outcome: 'success', data: {} }, { actorUserId: user.id, ipAddress: context.clientIp })
    return true
  })
  if (!enabled) return data({ error: 'Ce code a déjà été utilisé. Attendez le code suivant de votre application.' }, { status: 422 })
  await limiter.recordSuccess(keys)
  const { cookie } = await upgradeSessionAfterSecondFactor(db, { session, request })
  throw redirect(suite, { headers: { 'Set-Cookie': cookie } })
}

export default function TotpEnrolment() {
  const { qrCode, manualKey } = useLoaderData<typeof loader>()
  const result = useActionData<{ error?: string }>()
  const navigation = useNavigation()
  const [searchParams] = useSearchParams()
  return (
    <div className="fr-grid-row fr-grid-row--center">
      <div className="fr-col-12 fr-col-md-10 fr-col-lg-8">
        <h1>Activer la double authentification</h1>
        <p>
          La charte de la cellule impose une double authentification pour tout accès aux données. Installez une
          application d’authentification (par exemple FreeOTP, Aegis ou celle de votre établissement), puis ajoutez
          Cellule en scannant ce QR code.
        </p>
        <img src={qrCode} width={220} height={220} alt="QR code à scanner avec votre application d’authentification (la clé est aussi donnée en texte ci-dessous)" />
        <p>
          Vous ne pouvez pas scanner ? Saisissez cette clé dans l’application (type « basée sur le temps », 6 chiffres) :{' '}
          <code data-testid="cle-totp">{manualKey}</code>
        </p>
        <Form method="post" noValidate>
          <input type="hidden" name="suite" value={searchParams.get('suite') ?? ''} />
          <Field
            label="Code à 6 chiffres affiché par l’application"
            errors={result?.error ? [result.error] : undefined}
            inputProps={{ name: 'code', inputMode: 'numeric', autoComplete: 'one-time-code', maxLength: 6, required: true }}
          />
          <button className="fr-btn" type="submit" disabled={navigation.state !== 'idle'}>
            Activer
          </button>
        </Form>
      </div>
    </div>
  )
}
