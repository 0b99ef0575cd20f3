import { Form, Link } from '@remix-run/react'

export type AdminCellRow = { id: string; name: string; communes: string[]; hostInstitution: string; createdAt: string; archivedAt: string | null; people: number }

/** The platform's cells: in service first, each empty one with its « Archiver » step; archived ones apart. */
export function AdminCellList({ cells }: { cells: readonly AdminCellRow[] }) {
  const inService = cells.filter(cell => !cell.archivedAt)
  const archived = cells.filter(cell => cell.archivedAt)
  return (
    <>
      {inService.length === 0 ? <p>Aucune cellule en service pour l’instant.</p> : null}
      <ul>
        {inService.map(cell => (
          <li key={cell.id} className="fr-mb-1w">
            <strong>{cell.name}</strong> — {cell.communes.join(', ')} ({cell.hostInstitution}), créée le {cell.createdAt} ·{' '}
            {cell.people === 0 ? (
              <>
                aucun membre ni invitation en cours ·{' '}
                <Link to={`?archiver=${cell.id}#archivage`} aria-label={`Archiver la cellule ${cell.name}`}>
                  Archiver…
                </Link>
              </>
            ) : (
              `${cell.people} personne${cell.people > 1 ? 's' : ''} (membres ou invitées)`
            )}
          </li>
        ))}
      </ul>
      {archived.length > 0 ? (
        <details className="fr-mb-2w">
          <summary>Cellules archivées ({archived.length})</summary>
          <ul>
            {archived.map(cell => (
              <li key={cell.id}>
                <strong>{cell.name}</strong> — créée le {cell.createdAt}, archivée le {cell.archivedAt}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </>
  )
}

/** The confirmation step before archiving: what it does, then confirm or cancel. */
export function ArchiveConfirmation({ cell, busy }: { cell: { id: string; name: string }; busy: boolean }) {
  return (
    <div id="archivage" className="fr-alert fr-alert--warning fr-mb-4w" role="region" aria-labelledby="archivage-titre">
      <h3 id="archivage-titre" className="fr-alert__title">
        Archiver la cellule « {cell.name} » ?
      </h3>
      <p>
        Elle n’apparaîtra plus sur la page d’accueil publique, ses invitations en attente seront annulées et personne ne pourra plus la fonder ni la rejoindre. Son
        journal est conservé. Vous ne pourrez pas la remettre en service depuis cette page : créez-en une nouvelle si besoin.
      </p>
      <Form method="post" action={`/admin?index&archiver=${cell.id}`} className="fr-btns-group fr-btns-group--inline-sm fr-mt-2w">
        <input type="hidden" name="confirm" value="oui" />
        <button type="submit" className="fr-btn fr-btn--sm" disabled={busy}>
          Confirmer l’archivage
        </button>
        <Link to="/admin" className="fr-btn fr-btn--sm fr-btn--secondary">
          Annuler
        </Link>
      </Form>
    </div>
  )
}
