import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { Form, Link, useLoaderData } from '@remix-run/react'
import { useState } from 'react'
import { parseRosterLink } from '#crypto/roster-links.ts'
import { recordAudit } from '#db/journal/record.ts'
import { findCharterVersion, markHabilitationReviewed } from '#db/cells.ts'
import { requireCellPermission } from '#app/access/authorize.server.ts'
import { formatRosterCode } from '#app/cells/cell-client.ts'
import { attestDisplayedHead, type AttestationOutcome } from '#app/cells/roster-attestation.client.ts'
import { cellPermissions, navigationFlags } from '#app/cells/view.server.ts'
import { CellNav } from '#app/components/cell-nav.tsx'
import { FormMessage } from '#app/components/forms.tsx'
import { KeyUnlock } from '#app/components/key-unlock.tsx'
import { RosterGate, type CheckedRoster } from '#app/components/roster-check.tsx'
import { UnattestedChangesBanner } from '#app/components/roster-verification.tsx'
import { readForm } from '#app/utils/http.server.ts'

export const meta: MetaFunction = () => [{ title: 'Cellule — Cellule' }]

const MONTH_MS = 30.44 * 24 * 3_600_000

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const principal = await requireCellPermission({ request, context, cellId: params.cellId ?? '', action: 'cell:home:read' })
  const { cell, actor } = principal
  const charter = await findCharterVersion(context.runtime.db.db, { cellId: cell.id, version: cell.currentCharterVersion })
  const reviewMonths = charter?.content.rules.habilitationReviewMonths ?? 6
  const lastReview = cell.habilitationReviewedAt ?? cell.createdAt
  const allowed = cellPermissions(principal)
  return {
    cell: { id: cell.id, name: cell.name, communes: cell.communes, charterVersion: cell.currentCharterVersion },
    userId: principal.userId,
    role: actor.membership?.role ?? null,
    signedCurrentCharter: actor.membership?.signedCurrentCharter ?? false,
    needsReadmission: actor.membership?.needsReadmission ?? false,
    reviewDue: allowed.has('cell:habilitation:review') && Date.now() - lastReview.getTime() > reviewMonths * MONTH_MS,
    reviewMonths,
    canAttest: allowed.has('cell:roster:attest'),
    canReadRoster: allowed.has('cell:roster:read'),
    nav: navigationFlags(allowed),
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const principal = await requireCellPermission({ request, context, cellId: params.cellId ?? '', action: 'cell:habilitation:review' })
  const intent = (await readForm(request)).get('intent')
  if (intent !== 'habilitations-reviewed') return data({ error: 'Demande invalide.' }, { status: 400 })
  await context.runtime.db.db.transaction(async tx => {
    await markHabilitationReviewed(tx, principal.cell.id)
    await recordAudit(tx, { type: 'cell.habilitations.reviewed', outcome: 'success', data: {} }, { actorUserId: principal.userId, cellId: principal.cell.id, ipAddress: context.clientIp })
  })
  return data({ ok: true })
}

export default function CellHome() {
  const data = useLoaderData<typeof loader>()
  return (
    <>
      <CellNav cellId={data.cell.id} cellName={data.cell.name} allowed={data.nav} />
      <h1>{data.cell.name}</h1>
      <p>Communes : {data.cell.communes.join(', ')}</p>
      {data.needsReadmission ? (
        <FormMessage kind="info">Votre compte a été réinitialisé : la coordination doit vous réadmettre (vérification en personne) avant que vous retrouviez l’accès.</FormMessage>
      ) : null}
      {!data.signedCurrentCharter ? (
        <div className="fr-alert fr-alert--warning fr-mb-4w" role="alert">
          <h2 className="fr-alert__title">Signature de la charte requise</h2>
          <p>
            La version {data.cell.charterVersion} de la charte est en vigueur. Votre accès aux données de la cellule est suspendu
            jusqu’à ce que vous la signiez. <Link to={`/cellules/${data.cell.id}/charte`}>Lire et signer la charte</Link>
          </p>
        </div>
      ) : null}
      {data.reviewDue ? (
        <div className="fr-alert fr-alert--info fr-mb-4w">
          <h2 className="fr-alert__title">Revue des habilitations à faire</h2>
          <p>La charte demande de revoir les membres et leurs rôles tous les {data.reviewMonths} mois.</p>
          <Form method="post">
            <input type="hidden" name="intent" value="habilitations-reviewed" />
            <Link to={`/cellules/${data.cell.id}/membres`}>Voir les membres</Link>{' '}
            <button type="submit" className="fr-btn fr-btn--sm fr-ml-2w">
              J’ai revu les habilitations
            </button>
          </Form>
        </div>
      ) : null}
      {data.canReadRoster ? (
        <section aria-labelledby="code-registre-titre">
          <h2 id="code-registre-titre">Code du registre</h2>
          <RosterGate cellId={data.cell.id} userId={data.userId}>
            {(roster, reload) => <RosterCode roster={roster} canAttest={data.canAttest} cellId={data.cell.id} userId={data.userId} reload={reload} />}
          </RosterGate>
        </section>
      ) : null}
    </>
  )
}

/** « 1 membre actif », « 4 membres actifs »: people removed from the roster are not counted. */
function memberCountLabel(count: number): string {
  return count === 1 ? '1 membre actif' : `${count} membres actifs`
}

function RosterCode({ roster, canAttest, cellId, userId, reload }: { roster: CheckedRoster; canAttest: boolean; cellId: string; userId: string; reload: () => void }) {
  const [message, setMessage] = useState<AttestationOutcome | null>(null)
  const [attesting, setAttesting] = useState(false)
  const [busy, setBusy] = useState(false)
  const { state, code } = roster.check
  // What this page shows is what the person compares, and what their attestation will name.
  const displayed = { seq: state.securityHeadSeq, hash: state.securityHeadHash }
  const attestedByMe = roster.response.links.some(link => {
    const { authorId, payload } = parseRosterLink(link)
    return authorId === userId && payload.type === 'verification_attestation' && payload.attestedSeq === displayed.seq
  })
  return (
    <>
      <UnattestedChangesBanner state={state} headingLevel="h3" />
      <p>
        En réunion, la personne qui préside lit ce code et son numéro d’état à voix haute ; chaque membre vérifie qu’ils sont identiques sur son
        écran. Cela authentifie d’un coup les clés de tous les membres. Les attestations ne changent pas le code.
      </p>
      <p className="fr-display--xs fr-mb-1w" data-testid="code-registre" aria-label={`Code du registre : ${code.replace(/\s/g, '').split('').join(' ')}`}>
        {formatRosterCode(code)}
      </p>
      <p className="fr-text--lead" data-testid="etat-registre">
        état n° {displayed.seq}
      </p>
      <p className="fr-text--sm">
        {memberCountLabel([...state.members.values()].filter(member => member.active).length)} dans le registre, {state.headSeq + 1} maillon(s), époque de clé {state.currentEpoch ?? '—'}.
      </p>
      {message ? <FormMessage kind={message.kind}>{message.text}</FormMessage> : null}
      {canAttest && attestedByMe && !message ? <FormMessage kind="info">Vous avez attesté l’état n° {displayed.seq}.</FormMessage> : null}
      {canAttest && !attestedByMe ? (
        attesting ? (
          <KeyUnlock>
            {keys => (
              <button
                type="button"
                className="fr-btn"
                disabled={busy}
                onClick={async () => {
                  setBusy(true)
                  try {
                    const outcome = await attestDisplayedHead({ cellId, userId, displayed, keys })
                    setMessage(outcome)
                    setAttesting(false)
                    if (outcome.kind === 'success') reload()
                  } finally {
                    setBusy(false)
                  }
                }}
              >
                Signer l’attestation de l’état n° {displayed.seq}
              </button>
            )}
          </KeyUnlock>
        ) : (
          <button type="button" className="fr-btn fr-btn--secondary" onClick={() => setAttesting(true)}>
            J’atteste que ce code a été lu et qu’il est identique
          </button>
        )
      ) : null}
    </>
  )
}
