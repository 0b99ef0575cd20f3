import { useRevalidator } from '@remix-run/react'
import { useEffect, useState, type FormEvent } from 'react'
import { generateHumanCode } from '#crypto/human-code.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { postJson } from '#app/auth/api-client.ts'
import { checkAnswer, prepareConfirmation, type InvitationAnswer, type UnlockedKeys } from '#app/cells/cell-client.ts'
import { invitationStatusSchema, type InvitationStatus } from '#app/cells/schemas.ts'
import { OperationNotice, refusal, type OperationMessage } from './operation-message.tsx'
import { type CheckedRoster } from './roster-check.tsx'
import { Field, FormMessage, SelectField } from './forms.tsx'

export const ROLE_OPTIONS = [
  { value: 'member', label: 'Membre (accès nominatif selon la charte)' },
  { value: 'associate', label: 'Membre associé·e (vues pseudonymisées)' },
  { value: 'coordinator', label: 'Coordination' },
  { value: 'dpo', label: 'DPO (contrôle des accès, aucun contenu)' },
] as const

const codeStorageKey = (invitationId: string) => `cellule.invitation-code.${invitationId}`

type Created = { invitationId: string; code: string; email: string; joinUrl: string; accountUrl: string | null; mailSent: boolean }

/** Coordinator: invite someone; the code to hand over in person is made here and never sent to the server. */
export function InviteForm({ cellId }: { cellId: string }) {
  const revalidator = useRevalidator()
  const [created, setCreated] = useState<Created | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[] | undefined>>({})
  const [busy, setBusy] = useState(false)

  async function invite(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = event.currentTarget
    const values = Object.fromEntries(new FormData(form))
    setBusy(true)
    setError(null)
    try {
      const result = await postJson<{ invitationId: string; joinPath: string; accountPath: string | null; mailSent: boolean }>(`/api/cells/${cellId}/invitations`, values)
      if (!result.ok) {
        setError(result.error)
        setFieldErrors(result.fieldErrors ?? {})
        return
      }
      setFieldErrors({})
      await initCrypto()
      const { code } = generateHumanCode()
      window.sessionStorage.setItem(codeStorageKey(result.data.invitationId), code)
      const origin = window.location.origin
      setCreated({
        invitationId: result.data.invitationId,
        code,
        email: String(values.email),
        joinUrl: `${origin}${result.data.joinPath}`,
        accountUrl: result.data.accountPath ? `${origin}${result.data.accountPath}` : null,
        mailSent: result.data.mailSent,
      })
      form.reset()
      revalidator.revalidate()
    } finally {
      setBusy(false)
    }
  }

  return (
    <section aria-labelledby="inviter-titre" className="fr-mb-6w">
      <h2 id="inviter-titre">Inviter une personne</h2>
      {created ? (
        <div className="fr-alert fr-alert--success fr-mb-3w" role="status">
          <h3 className="fr-alert__title">Invitation créée pour {created.email}</h3>
          <p>
            Remettez ce code <strong>en main propre</strong> (imprimé ou recopié), jamais par courriel :{' '}
            <code data-testid="code-invitation" style={{ fontSize: '1.25rem' }}>
              {created.code}
            </code>
          </p>
          <p>
            {created.mailSent
              ? `Un courriel contenant ${created.accountUrl ? 'ces liens' : 'ce lien'} (et jamais le code) vient de lui être envoyé. Vous pouvez aussi ${created.accountUrl ? 'les' : 'le'} lui transmettre vous-même :`
              : `Envoyez-lui ce lien${created.accountUrl ? ' et celui de création de compte' : ''} :`}
          </p>
          <ul>
            {created.accountUrl ? (
              <li>
                <code data-testid="lien-compte-invitation">{created.accountUrl}</code>
              </li>
            ) : null}
            <li>
              <code data-testid="lien-invitation">{created.joinUrl}</code>
            </li>
          </ul>
          <button type="button" className="fr-btn fr-btn--secondary fr-btn--sm" onClick={() => window.print()}>
            Imprimer le code
          </button>
        </div>
      ) : null}
      <FormMessage kind="error">{error}</FormMessage>
      <form onSubmit={invite} noValidate>
        <Field label="Adresse électronique" errors={fieldErrors.email} inputProps={{ name: 'email', type: 'email', required: true }} />
        <SelectField label="Rôle" errors={fieldErrors.role} options={ROLE_OPTIONS} selectProps={{ name: 'role', required: true, defaultValue: 'member' }} />
        <button className="fr-btn" type="submit" disabled={busy}>
          Créer l’invitation
        </button>
      </form>
    </section>
  )
}

type OpenInvitation = { id: string; email: string; role: 'coordinator' | 'member' | 'associate' | 'dpo'; status: InvitationStatus; kind: string }

const POLL_INTERVAL_MS = 5_000
/** After this long without an answer the page stops asking and offers a button instead. */
const POLL_FOR_MS = 15 * 60_000

/**
 * The invitation's status as the server has it, asked every 5 s while the invitation waits for the
 * invitee's code and the page is visible; it stops once answered (or cancelled), or after 15 minutes.
 */
function useInvitationStatus({ invitationId, initial }: { invitationId: string; initial: InvitationStatus }) {
  const [status, setStatus] = useState<InvitationStatus>(initial)
  const [polling, setPolling] = useState(initial === 'pending')
  useEffect(() => setStatus(initial), [initial])
  useEffect(() => {
    if (!polling || status !== 'pending') return
    let cancelled = false
    const startedAt = Date.now()
    async function ask() {
      if (document.visibilityState !== 'visible') return
      if (Date.now() - startedAt > POLL_FOR_MS) return setPolling(false)
      const response = await fetch(`/api/invitations-cellule/${invitationId}`, { credentials: 'same-origin' }).catch(() => null)
      if (!response?.ok || cancelled) return
      const parsed = invitationStatusSchema.safeParse(await response.json().catch(() => null))
      if (parsed.success && !cancelled) setStatus(parsed.data.status)
    }
    const timer = window.setInterval(() => void ask(), POLL_INTERVAL_MS)
    const onVisible = () => void ask()
    document.addEventListener('visibilitychange', onVisible)
    return () => {
      cancelled = true
      window.clearInterval(timer)
      document.removeEventListener('visibilitychange', onVisible)
    }
  }, [invitationId, polling, status])
  return { status, polling, resume: () => setPolling(true) }
}

/** Coordinator: check the newcomer's answer with the code, compare the SAS aloud, then sign; or cancel the invitation. */
export function PendingInvitation({
  invitation,
  roster,
  keys,
  onDone,
  onCancelled,
  onRosterReload,
}: {
  invitation: OpenInvitation
  roster: CheckedRoster
  keys: UnlockedKeys
  onDone: () => void
  onCancelled: (message: OperationMessage) => void
  onRosterReload: () => void
}) {
  const [sas, setSas] = useState<{ value: string; answer: InvitationAnswer; newcomer: ReturnType<typeof checkAnswer>['newcomer'] } | null>(null)
  const [message, setMessage] = useState<OperationMessage | null>(null)
  const [busy, setBusy] = useState(false)
  const [confirmCancel, setConfirmCancel] = useState(false)
  const { status, polling, resume } = useInvitationStatus({ invitationId: invitation.id, initial: invitation.status })
  const storedCode = typeof window === 'undefined' ? null : window.sessionStorage.getItem(codeStorageKey(invitation.id))
  const setError = (text: string) => setMessage({ kind: 'error', text })

  async function verify(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const code = String(new FormData(event.currentTarget).get('code') ?? storedCode ?? '').trim() || storedCode || ''
    setMessage(null)
    const response = await fetch(`/api/invitations-cellule/${invitation.id}`, { credentials: 'same-origin' })
    const data = (await response.json()) as { status: string; answer?: InvitationAnswer; error?: string }
    if (!response.ok || !data.answer) return setError(data.error ?? 'La personne invitée n’a pas encore saisi son code.')
    try {
      await initCrypto()
      const checked = checkAnswer({ cellId: roster.check.state.cellId, code, answer: data.answer, keys })
      setSas({ value: checked.sas, answer: data.answer, newcomer: checked.newcomer })
    } catch {
      setError('La réponse ne correspond pas au code remis : ne confirmez pas, et refaites une invitation en personne.')
    }
  }

  async function confirm() {
    if (!sas) return
    setBusy(true)
    try {
      const body = prepareConfirmation({
        state: roster.check.state,
        blobs: roster.response.blobs,
        keys,
        newcomer: sas.newcomer,
        role: invitation.role,
        kind: invitation.kind === 'readmission' ? 'readmission' : 'member',
      })
      const result = await postJson(`/api/cells/${roster.check.state.cellId}/invitations/${invitation.id}/confirm`, body)
      if (!result.ok) return setMessage(refusal(result))
      window.sessionStorage.removeItem(codeStorageKey(invitation.id))
      onDone()
    } catch (cause) {
      setError(cause instanceof Error ? cause.message : 'La confirmation a échoué.')
    } finally {
      setBusy(false)
    }
  }

  async function cancel(reason: 'withdrawn' | 'codes_differ') {
    setBusy(true)
    setMessage(null)
    try {
      const result = await postJson<{ message: string }>(`/api/cells/${roster.check.state.cellId}/invitations/${invitation.id}/cancel`, { reason })
      if (!result.ok) return setMessage(refusal(result))
      window.sessionStorage.removeItem(codeStorageKey(invitation.id))
      onCancelled({ kind: reason === 'codes_differ' ? 'error' : 'success', text: result.data.message })
    } finally {
      setBusy(false)
    }
  }

  const label = ROLE_OPTIONS.find(option => option.value === invitation.role)?.label
  return (
    <li className="fr-mb-3w" data-testid={`invitation-${invitation.email}`}>
      <p className="fr-mb-1w">
        <strong>{invitation.email}</strong> — {label}
        {invitation.kind === 'readmission' ? ' (réadmission)' : ''} —{' '}
        <span role="status">{status === 'answered' ? 'a saisi son code' : status === 'cancelled' ? 'invitation annulée' : 'en attente du code'}</span>
      </p>
      <OperationNotice
        message={message}
        onReload={() => {
          setMessage(null)
          onRosterReload()
        }}
      />
      {status === 'pending' && !polling ? (
        <p className="fr-text--sm">
          La page a cessé de vérifier si la personne a saisi son code.{' '}
          <button type="button" className="fr-btn fr-btn--sm fr-btn--tertiary" onClick={resume}>
            Vérifier de nouveau
          </button>
        </p>
      ) : null}
      {sas ? (
        <div>
          <p>
            Code de vérification : <strong data-testid={`sas-coordination-${invitation.email}`} className="fr-text--lead">{sas.value.slice(0, 4)} {sas.value.slice(4)}</strong>
          </p>
          <p>La personne lit le code affiché sur son écran : confirmez seulement s’il est identique.</p>
          <button type="button" className="fr-btn" onClick={() => void confirm()} disabled={busy}>
            Les codes sont identiques : confirmer
          </button>{' '}
          <button type="button" className="fr-btn fr-btn--tertiary" onClick={() => void cancel('codes_differ')} disabled={busy}>
            Les codes diffèrent
          </button>
        </div>
      ) : status === 'answered' ? (
        <form onSubmit={verify} noValidate>
          {storedCode ? null : <Field label="Code remis en main propre" inputProps={{ name: 'code', autoComplete: 'off', required: true }} />}
          <button type="submit" className="fr-btn fr-btn--secondary fr-btn--sm">
            Vérifier la personne
          </button>
        </form>
      ) : null}
      {sas ? null : confirmCancel ? (
        <ul className="fr-btns-group fr-btns-group--inline-sm fr-mt-1w">
          <li>
            <button type="button" className="fr-btn fr-btn--sm" disabled={busy} onClick={() => void cancel('withdrawn')}>
              Confirmer l’annulation de l’invitation de {invitation.email}
            </button>
          </li>
          <li>
            <button type="button" className="fr-btn fr-btn--sm fr-btn--tertiary" disabled={busy} onClick={() => setConfirmCancel(false)}>
              Garder l’invitation
            </button>
          </li>
        </ul>
      ) : (
        <button type="button" className="fr-btn fr-btn--sm fr-btn--tertiary fr-mt-1w" disabled={busy} onClick={() => setConfirmCancel(true)}>
          Annuler l’invitation<span className="fr-sr-only"> de {invitation.email}</span>
        </button>
      )}
    </li>
  )
}
