import { useRevalidator } from '@remix-run/react'
import { useState, type FormEvent } from 'react'
import { generateHumanCode } from '#crypto/human-code.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { postJson } from '#app/auth/api-client.ts'
import { checkAnswer, prepareConfirmation, type InvitationAnswer, type UnlockedKeys } from '#app/cells/cell-client.ts'
import { type CheckedRoster } from './roster-check.tsx'
import { Field, FormMessage, SelectField } from './forms.tsx'

export const ROLE_OPTIONS = [
  { value: 'member', label: 'Membre (accès nominatif selon la charte)' },
  { value: 'associate', label: 'Membre associé·e (vues pseudonymisées)' },
  { value: 'coordinator', label: 'Coordination' },
  { value: 'dpo', label: 'DPO (contrôle des accès, aucun contenu)' },
] as const

const codeStorageKey = (invitationId: string) => `cellule.invitation-code.${invitationId}`

type Created = { invitationId: string; code: string; email: string; joinUrl: string; accountUrl: string | null }

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
      const result = await postJson<{ invitationId: string; joinPath: string; accountPath: string | null }>(`/api/cells/${cellId}/invitations`, values)
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
          <p>Envoyez-lui ce lien{created.accountUrl ? ' et celui de création de compte' : ''} :</p>
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

type OpenInvitation = { id: string; email: string; role: 'coordinator' | 'member' | 'associate' | 'dpo'; status: string; kind: string }

/** Coordinator: check the newcomer's answer with the code, compare the SAS aloud, then sign. */
export function PendingInvitation({ invitation, roster, keys, onDone }: { invitation: OpenInvitation; roster: CheckedRoster; keys: UnlockedKeys; onDone: () => void }) {
  const [sas, setSas] = useState<{ value: string; answer: InvitationAnswer; newcomer: ReturnType<typeof checkAnswer>['newcomer'] } | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const storedCode = typeof window === 'undefined' ? null : window.sessionStorage.getItem(codeStorageKey(invitation.id))

  async function verify(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const code = String(new FormData(event.currentTarget).get('code') ?? storedCode ?? '').trim() || storedCode || ''
    setError(null)
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
      if (!result.ok) return setError(result.error)
      window.sessionStorage.removeItem(codeStorageKey(invitation.id))
      onDone()
    } catch (cause) {
      setError(cause instanceof Error ? cause.message : 'La confirmation a échoué.')
    } finally {
      setBusy(false)
    }
  }

  return (
    <li className="fr-mb-3w">
      <p>
        <strong>{invitation.email}</strong> — {ROLE_OPTIONS.find(option => option.value === invitation.role)?.label}
        {invitation.kind === 'readmission' ? ' (réadmission)' : ''} —{' '}
        {invitation.status === 'answered' ? 'a saisi son code' : 'en attente du code'}
      </p>
      <FormMessage kind="error">{error}</FormMessage>
      {sas ? (
        <div>
          <p>
            Code de vérification : <strong data-testid={`sas-coordination-${invitation.email}`} className="fr-text--lead">{sas.value.slice(0, 4)} {sas.value.slice(4)}</strong>
          </p>
          <p>La personne lit le code affiché sur son écran : confirmez seulement s’il est identique.</p>
          <button type="button" className="fr-btn" onClick={() => void confirm()} disabled={busy}>
            Les codes sont identiques : confirmer
          </button>{' '}
          <button type="button" className="fr-btn fr-btn--tertiary" onClick={() => setSas(null)}>
            Les codes diffèrent
          </button>
        </div>
      ) : invitation.status === 'answered' ? (
        <form onSubmit={verify} noValidate>
          {storedCode ? null : <Field label="Code remis en main propre" inputProps={{ name: 'code', autoComplete: 'off', required: true }} />}
          <button type="submit" className="fr-btn fr-btn--secondary fr-btn--sm">
            Vérifier la personne
          </button>
        </form>
      ) : null}
    </li>
  )
}
