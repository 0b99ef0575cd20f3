import { type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { useLoaderData, useRevalidator } from '@remix-run/react'
import { useState } from 'react'
import { bytesToHex, charterHash } from '#charter/hash.ts'
import { type Charter } from '#charter/schema.ts'
import { latestSignedVersion, listCharterVersions } from '#db/cells.ts'
import { postJson } from '#app/auth/api-client.ts'
import { requireCellPermission } from '#app/access/authorize.server.ts'
import { signCharter, type UnlockedKeys } from '#app/cells/cell-client.ts'
import { cellPermissions, navigationFlags } from '#app/cells/view.server.ts'
import { CellNav } from '#app/components/cell-nav.tsx'
import { CharterDiff } from '#app/components/charter-diff.tsx'
import { CharterPublication } from '#app/components/charter-publish.tsx'
import { CharterText } from '#app/components/charter-text.tsx'
import { FormMessage } from '#app/components/forms.tsx'
import { KeyUnlock } from '#app/components/key-unlock.tsx'
import { RosterGate, type CheckedRoster } from '#app/components/roster-check.tsx'
import { HttpError } from '#app/access/http-error.ts'
import { getOnly } from '#app/utils/http.server.ts'

export const meta: MetaFunction = () => [{ title: 'Charte — Cellule' }]

const dateFormat = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeZone: 'Europe/Paris' })

/** GET only: any other method is a French 405. */
export const action = getOnly

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const principal = await requireCellPermission({ request, context, cellId: params.cellId ?? '', action: 'cell:charter:read' })
  const db = context.runtime.db.db
  const versions = await listCharterVersions(db, principal.cell.id)
  const current = versions.find(version => version.version === principal.cell.currentCharterVersion)
  if (!current) throw new HttpError(404, 'Charte introuvable')
  const signedVersion = await latestSignedVersion(db, { cellId: principal.cell.id, userId: principal.userId })
  const signed = versions.find(version => version.version === signedVersion)
  const allowed = cellPermissions(principal)
  return {
    cell: { id: principal.cell.id, name: principal.cell.name },
    userId: principal.userId,
    current: { content: current.content, hash: current.hash },
    signedCurrent: signedVersion === current.version,
    signedContent: signed && signed.version !== current.version ? signed.content : null,
    versions: versions.map(version => ({ version: version.version, hash: version.hash, publishedAt: dateFormat.format(version.publishedAt) })),
    canSign: allowed.has('cell:charter:sign'),
    canPublish: allowed.has('cell:charter:publish'),
    nav: navigationFlags(allowed),
  }
}

export default function CharterPage() {
  const data = useLoaderData<typeof loader>()
  const revalidator = useRevalidator()
  const [published, setPublished] = useState(false)
  return (
    <>
      <CellNav cellId={data.cell.id} cellName={data.cell.name} allowed={data.nav} />
      <h1>Charte de la cellule</h1>
      {published ? <FormMessage kind="success">Nouvelle version publiée. Chaque membre doit la signer pour retrouver l’accès.</FormMessage> : null}
      {data.signedCurrent ? (
        <FormMessage kind="success">Vous avez signé la version en vigueur (version {data.current.content.version}).</FormMessage>
      ) : (
        <div className="fr-alert fr-alert--warning fr-mb-3w">
          <h2 className="fr-alert__title">Signature requise</h2>
          <p>Votre accès aux données de la cellule est suspendu jusqu’à votre signature de la version {data.current.content.version}.</p>
          {data.canSign ? (
            <p>
              <a href="#signature">Aller à la signature</a> (après lecture du texte ci-dessous{data.signedContent ? ' et de ses modifications' : ''}).
            </p>
          ) : null}
        </div>
      )}
      {data.signedContent ? <CharterDiff from={data.signedContent} to={data.current.content} /> : null}
      <CharterText charter={data.current.content} />
      {!data.signedCurrent && data.canSign ? (
        <>
          <section id="signature" aria-labelledby="signature-titre" tabIndex={-1}>
            <h2 id="signature-titre">Signer la version {data.current.content.version}</h2>
            <p>Votre signature, faite avec votre clé personnelle, atteste que vous avez lu cette version et vous engagez à la respecter.</p>
            <RosterGate cellId={data.cell.id} userId={data.userId}>
              {roster => <KeyUnlock>{keys => <SignCharter roster={roster} keys={keys} charter={data.current} onSigned={() => revalidator.revalidate()} />}</KeyUnlock>}
            </RosterGate>
          </section>
          {/* Always in view while reading the long text: the way to the signature (issue 12). */}
          <div className="charter-sign-bar" style={{ position: 'sticky', bottom: 0, zIndex: 1, background: 'var(--background-default-grey)', borderTop: '1px solid var(--border-default-grey)' }}>
            <p className="fr-py-1w fr-mb-0">
              Version {data.current.content.version} à signer · <a href="#signature">Signer la charte</a>
            </p>
          </div>
        </>
      ) : null}
      <h2 className="fr-mt-6w">Versions publiées</h2>
      <ul>
        {data.versions.map(version => (
          <li key={version.version}>
            Version {version.version}, publiée le {version.publishedAt} — empreinte <code>{version.hash.slice(0, 16)}…</code>
          </li>
        ))}
      </ul>
      {data.canPublish && data.signedCurrent ? (
        <RosterGate cellId={data.cell.id} userId={data.userId}>
          {(roster, reload) => (
            <KeyUnlock>
              {keys => (
                <CharterPublication
                  current={data.current.content}
                  roster={roster}
                  keys={keys}
                  onPublished={() => {
                    setPublished(true)
                    reload()
                    revalidator.revalidate()
                  }}
                />
              )}
            </KeyUnlock>
          )}
        </RosterGate>
      ) : null}
    </>
  )
}

/** Checks the text against the hash the roster carries, then signs it with the identity key. */
function SignCharter({ roster, keys, charter, onSigned }: { roster: CheckedRoster; keys: UnlockedKeys; charter: { content: Charter; hash: string }; onSigned: () => void }) {
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  async function sign() {
    setBusy(true)
    setError(null)
    try {
      const computed = await charterHash(charter.content)
      const inRoster = roster.check.state.charter
      if (computed !== charter.hash || !inRoster || inRoster.version !== charter.content.version || bytesToHex(inRoster.charterHash) !== computed) {
        return setError('Le texte affiché ne correspond pas à la version inscrite au registre : ne signez pas et prévenez la coordination.')
      }
      const signature = signCharter({ cellId: roster.check.state.cellId, version: charter.content.version, hash: computed, keys })
      const result = await postJson(`/api/cells/${roster.check.state.cellId}/charter/sign`, { version: charter.content.version, hash: computed, signature })
      if (!result.ok) return setError(result.error)
      onSigned()
    } finally {
      setBusy(false)
    }
  }
  return (
    <div className="fr-mb-4w">
      <FormMessage kind="error">{error}</FormMessage>
      <button type="button" className="fr-btn" onClick={() => void sign()} disabled={busy}>
        Je signe la charte (version {charter.content.version})
      </button>
    </div>
  )
}
