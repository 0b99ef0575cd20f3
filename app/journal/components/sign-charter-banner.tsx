import { Link } from '@remix-run/react'

/**
 * For a DPO while a new charter awaits their signature: the journal stays readable (oversight does
 * not lapse), reviewing alerts and exporting wait for the signature.
 */
export function SignCharterBanner({ cellId }: { cellId: string }) {
  return (
    <div className="fr-alert fr-alert--warning fr-mb-4w">
      <h2 className="fr-alert__title">Une nouvelle version de la charte attend votre signature</h2>
      <p>
        Vous gardez la lecture du journal d’accès en attendant. La revue des alertes et l’export signé reprendront après votre signature.{' '}
        <Link to={`/cellules/${cellId}/charte`}>Lire et signer la charte</Link>
      </p>
    </div>
  )
}
