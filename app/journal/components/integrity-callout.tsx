import { type IntegrityView } from '../timeline.server.ts'

/** How far the cell's journal is sealed and signed, the key to pin, and the signed export for those allowed. */
export function IntegrityCallout({ integrity, cellId, canExport }: { integrity: IntegrityView; cellId: string; canExport: boolean }) {
  return (
    <div className="fr-callout fr-mb-4w">
      <h2 className="fr-callout__title fr-h5">Intégrité du journal</h2>
      <p className="fr-callout__text fr-text--md">
        {integrity.sealed} événement{integrity.sealed > 1 ? 's' : ''} scellé{integrity.sealed > 1 ? 's' : ''} sur {integrity.total} pour cette cellule.{' '}
        {integrity.checkpoint ? `Dernier point de contrôle signé : ${integrity.checkpoint.at} (journal de ${integrity.checkpoint.size} entrées, toutes cellules).` : 'Aucun point de contrôle signé pour l’instant.'}
      </p>
      <p className="fr-text--sm">
        Clé publique du journal (à conserver pour vérifier les exports) : <code data-testid="cle-publique-journal">{integrity.publicKey}</code>
      </p>
      {canExport ? (
        <>
          <a className="fr-btn fr-btn--secondary" href={`/cellules/${cellId}/journal/export`} download>
            Exporter le journal signé de la cellule
          </a>
          <p className="fr-text--xs fr-mt-1w">
            Vérification hors ligne : <code>npm run audit:verify -- fichier.json --public-key {integrity.publicKey}</code>
          </p>
        </>
      ) : null}
    </div>
  )
}
