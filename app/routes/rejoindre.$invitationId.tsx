import { type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Link, useLoaderData, useNavigate } from '@remix-run/react'
import { useEffect, useState, type FormEvent } from 'react'
import { fromBase64Url, toBase64Url } from '#crypto/encoding.ts'
import { openIdentityPublic } from '#crypto/identity.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { findUserById } from '#db/accounts.ts'
import { findCell, findCellInvitation, findCharterVersion, findMembership, findOpenInvitationFor } from '#db/cells.ts'
import { postJson } from '#app/auth/api-client.ts'
import { auditResourceKey, isUuid, requireSignedInActor } from '#app/access/authorize.server.ts'
import { answerCellInvitation, prepareFounding, signReadmission, type UnlockedKeys } from '#app/cells/cell-client.ts'
import { loadRoster } from '#app/cells/roster.server.ts'
import { rememberNewcomerAnchor } from '#app/cells/roster-pins-sync.ts'
import { CharterText } from '#app/components/charter-text.tsx'
import { Field, FormMessage, NoScriptNotice } from '#app/components/forms.tsx'
import { KeyUnlock } from '#app/components/key-unlock.tsx'
import { HttpError } from '#app/access/http-error.ts'
import { getOnly } from '#app/utils/http.server.ts'

export const meta: MetaFunction = () => [{ title: 'Rejoindre une cellule — Cellule' }]

const ROLE_LABELS = { coordinator: 'coordination', member: 'membre', associate: 'membre associé·e', dpo: 'DPO' } as const

/** GET only: any other method is a French 405. */
export const action = getOnly

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const principal = await requireSignedInActor({ request, context, audit: { action: 'cell.invitation.read', resource: auditResourceKey('invitation', params.invitationId) } })
  const db = context.runtime.db.db
  const invitation = isUuid(params.invitationId) ? await findCellInvitation(db, params.invitationId ?? '') : undefined
  if (!invitation) throw new HttpError(404, 'Invitation introuvable')
  const user = await findUserById(db, principal.userId)
  if (user?.email !== invitation.email) {
    throw new HttpError(403, 'Cette invitation a été adressée à une autre personne (une autre adresse électronique que celle de votre compte). Connectez-vous avec le compte de la personne invitée, ou demandez une invitation à votre adresse à la coordination.')
  }
  const cell = await findCell(db, invitation.cellId)
  if (!cell) throw new HttpError(404, 'Cellule introuvable')
  const expired = invitation.expiresAt < new Date() && invitation.status === 'pending'
  const charter = invitation.kind === 'founding' ? await findCharterVersion(db, { cellId: cell.id, version: 1 }) : undefined
  let coordinatorSignPublicKey: string | null = null
  if (invitation.kind !== 'founding' && invitation.createdBy) {
    const coordinator = await findUserById(db, invitation.createdBy)
    await initCrypto()
    if (coordinator) coordinatorSignPublicKey = toBase64Url(openIdentityPublic(coordinator.identityPublic).signPublicKey)
  }
  // A re-admission needs the keys the roster holds for this member: their new keys sign over them (review §1e).
  let previousKeys: { signPublicKey: string; boxPublicKey: string } | null = null
  if (invitation.kind === 'readmission') {
    const { state } = await loadRoster(db, cell.id)
    const entry = state?.members.get(principal.userId)
    if (entry) previousKeys = { signPublicKey: toBase64Url(entry.signPublicKey), boxPublicKey: toBase64Url(entry.boxPublicKey) }
  }
  // An old invitation page says where the person stands now (removed since, role changed, invited again).
  const membership = await findMembership(db, { cellId: cell.id, userId: principal.userId })
  const open = invitation.status === 'pending' && !expired ? undefined : await findOpenInvitationFor(db, { cellId: cell.id, email: invitation.email })
  // Never a `status` key in a loader's plain object: Remix would take it for the response's status.
  return {
    invitationId: invitation.id,
    kind: invitation.kind,
    invitationStatus: invitation.status,
    expired,
    role: invitation.role,
    cell: { id: cell.id, name: cell.name },
    charter: charter ? { content: charter.content, hash: charter.hash } : null,
    coordinatorSignPublicKey,
    previousKeys,
    membership: membership ? { membershipStatus: membership.status, role: membership.role } : null,
    newerInvitationId: open && open.id !== invitation.id ? open.id : null,
  }
}

type LoaderData = ReturnType<typeof useLoaderData<typeof loader>>

export default function JoinCell() {
  const data = useLoaderData<typeof loader>()
  if (data.invitationStatus === 'confirmed' || data.expired || data.invitationStatus === 'cancelled') return <ClosedInvitation data={data} />
  return (
    <>
      <h1>{data.kind === 'founding' ? `Fonder « ${data.cell.name} »` : `Rejoindre « ${data.cell.name} »`}</h1>
      <NoScriptNotice />
      <KeyUnlock>{keys => (data.kind === 'founding' ? <Founding data={data} keys={keys} /> : <Answer data={data} keys={keys} />)}</KeyUnlock>
    </>
  )
}

/** An invitation that is over: what it led to, as things stand now (not as they stood when it was used). */
function ClosedInvitation({ data }: { data: LoaderData }) {
  const newer = data.newerInvitationId ? (
    <Link className="fr-btn" to={`/rejoindre/${data.newerInvitationId}`}>
      Ouvrir la nouvelle invitation
    </Link>
  ) : null
  const status = data.membership?.membershipStatus
  if (data.invitationStatus === 'confirmed' && (status === 'active' || status === 'suspended') && data.membership) {
    return (
      <>
        <h1>Invitation acceptée</h1>
        <p>
          Vous faites partie de « {data.cell.name} » comme <strong>{ROLE_LABELS[data.membership.role]}</strong>.
        </p>
        <Link className="fr-btn" to={`/cellules/${data.cell.id}`}>
          Accéder à la cellule
        </Link>
      </>
    )
  }
  if (data.invitationStatus === 'confirmed') {
    return (
      <>
        <h1>Vous ne faites plus partie de cette cellule</h1>
        <p>
          Cette invitation avait été acceptée, mais la coordination de « {data.cell.name} » vous a retiré·e de la cellule depuis.
          {newer ? ' Une nouvelle invitation vous attend.' : ' Si vous pensez qu’il s’agit d’une erreur, contactez sa coordination.'}
        </p>
        {newer}
      </>
    )
  }
  if (data.invitationStatus === 'cancelled') {
    return (
      <>
        <h1>Invitation annulée</h1>
        <p>
          La coordination de la cellule a annulé cette invitation.
          {newer ? ' Une nouvelle invitation vous attend.' : ' Si vous devez rejoindre la cellule, demandez-lui une nouvelle invitation, à confirmer en personne.'}
        </p>
        {newer}
      </>
    )
  }
  return (
    <>
      <h1>Invitation expirée</h1>
      <p>Cette invitation n’est plus valable.{newer ? ' Une nouvelle invitation vous attend.' : ' Demandez-en une nouvelle à la coordination de la cellule.'}</p>
      {newer}
    </>
  )
}

function Founding({ data, keys }: { data: LoaderData; keys: UnlockedKeys }) {
  const navigate = useNavigate()
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  async function found() {
    if (!data.charter) return
    setBusy(true)
    setError(null)
    try {
      const body = await prepareFounding({ cellId: data.cell.id, keys, charterHash: data.charter.hash })
      const result = await postJson<{ next: string }>(`/api/cells/${data.cell.id}/found`, { invitationId: data.invitationId, ...body })
      if (!result.ok) return setError(result.error)
      navigate(result.data.next)
    } catch (cause) {
      setError(cause instanceof Error ? cause.message : 'La fondation a échoué.')
    } finally {
      setBusy(false)
    }
  }
  return (
    <>
      <p className="fr-text--lead">
        Vous êtes désigné·e pour coordonner cette cellule. En la fondant, votre navigateur crée la clé de la cellule, sa clé
        de saisine et le registre signé de ses membres ; vous signez la charte ci-dessous avec votre clé d’identité.
      </p>
      {data.charter ? <CharterText charter={data.charter.content} /> : null}
      <FormMessage kind="error">{error}</FormMessage>
      {busy ? <FormMessage kind="info">Création des clés de la cellule…</FormMessage> : null}
      <button className="fr-btn fr-mt-4w" type="button" onClick={() => void found()} disabled={busy}>
        Je fonde la cellule et signe la charte
      </button>
    </>
  )
}

function Answer({ data, keys }: { data: LoaderData; keys: UnlockedKeys }) {
  const [sas, setSas] = useState<string | null>(null)
  const [status, setStatus] = useState(data.invitationStatus)
  const [error, setError] = useState<string | null>(null)
  const [fieldError, setFieldError] = useState<string[] | undefined>()
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    if (!sas || status === 'confirmed' || status === 'cancelled') return
    const timer = window.setInterval(async () => {
      const response = await fetch(`/api/invitations-cellule/${data.invitationId}`, { credentials: 'same-origin' })
      if (response.ok) setStatus(((await response.json()) as { status: typeof status }).status)
    }, 2_000)
    return () => window.clearInterval(timer)
  }, [sas, status, data.invitationId])

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const code = String(new FormData(event.currentTarget).get('code') ?? '').trim()
    if (!code) return setFieldError(['Saisissez le code remis en main propre par la coordination.'])
    if (!data.coordinatorSignPublicKey) return setError('Invitation incomplète : demandez-en une nouvelle.')
    setBusy(true)
    setError(null)
    setFieldError(undefined)
    try {
      let answer: Awaited<ReturnType<typeof answerCellInvitation>>
      const coordinatorSignPublicKey = fromBase64Url(data.coordinatorSignPublicKey)
      try {
        answer = await answerCellInvitation({ cellId: data.cell.id, code, keys, coordinatorSignPublicKey })
      } catch {
        return setFieldError(['Ce code contient une faute de frappe : vérifiez chaque groupe (7 groupes de 4 caractères).'])
      }
      // The SAS binds this coordinator key: the first roster must show our arrival signed by it (decision 022).
      rememberNewcomerAnchor({ cellId: data.cell.id, anchor: { coordinatorSignPublicKey, newcomer: { memberId: keys.userId, signPublicKey: keys.identity.signing.publicKey, boxPublicKey: keys.identity.box.publicKey } } })
      if (status === 'pending') {
        if (data.kind === 'readmission' && !data.previousKeys) return setError('Vos anciennes clés sont absentes du registre : demandez à la coordination de vous inviter de nouveau comme membre.')
        const keyChangeSignature = data.kind === 'readmission' && data.previousKeys ? await signReadmission({ cellId: data.cell.id, keys, previous: data.previousKeys }) : undefined
        const result = await postJson<{ status: 'answered' }>(`/api/invitations-cellule/${data.invitationId}`, { proof: answer.proof, keyChangeSignature })
        if (!result.ok) return setError(result.error)
        setStatus('answered')
      }
      setSas(answer.sas)
    } finally {
      setBusy(false)
    }
  }

  if (status === 'cancelled') {
    return (
      <FormMessage kind="error">
        La coordination a annulé cette invitation (par exemple parce que les codes de vérification différaient). Ne saisissez plus ce code ; demandez-lui une nouvelle
        invitation, à confirmer en personne.
      </FormMessage>
    )
  }
  if (status === 'confirmed') {
    return (
      <>
        <FormMessage kind="success">La coordination a confirmé votre arrivée. Signez maintenant la charte de la cellule.</FormMessage>
        <Link className="fr-btn" to={`/cellules/${data.cell.id}/charte`}>
          Lire et signer la charte
        </Link>
      </>
    )
  }
  if (sas) {
    return (
      <section aria-labelledby="sas-titre">
        <h2 id="sas-titre">Code de vérification</h2>
        <p>Lisez ce code à la personne qui coordonne la cellule : il doit être identique sur son écran.</p>
        <p className="fr-display--xs" data-testid="sas">
          {sas.slice(0, 4)} {sas.slice(4)}
        </p>
        <p role="status">En attente de la confirmation par la coordination…</p>
      </section>
    )
  }
  return (
    <>
      <p>
        Vous êtes invité·e comme <strong>{ROLE_LABELS[data.role]}</strong>. Saisissez le code que la coordination vous a remis
        en main propre : il prouve que c’est bien vous, et protège vos clés contre toute substitution.
      </p>
      {status === 'answered' ? <FormMessage kind="info">Vous avez déjà saisi le code : saisissez-le de nouveau pour afficher le code de vérification.</FormMessage> : null}
      <FormMessage kind="error">{error}</FormMessage>
      <form onSubmit={submit} noValidate>
        <Field label="Code d’invitation" hint="28 caractères, par exemple ABCD-EFGH-…" errors={fieldError} inputProps={{ name: 'code', autoComplete: 'off', spellCheck: false, required: true }} />
        <button className="fr-btn" type="submit" disabled={busy}>
          Valider le code
        </button>
      </form>
    </>
  )
}
