import { type MetaFunction } from '@remix-run/node'
import { getOnly } from '#app/utils/http.server.ts'

export const meta: MetaFunction = () => [{ title: 'Mentions légales — Cellule' }]

/** GET only: any other method is a French 405. */
export const action = getOnly

export default function LegalNotice() {
  return (
    <>
      <h1>Mentions légales</h1>

      <h2>Éditeur</h2>
      <p>
        Le service Cellule est édité par l'organisme qui l'héberge pour le compte des cellules de prévention de la
        maltraitance des adultes. Chaque cellule est portée par une institution (commune, Département,
        établissement) indiquée sur sa page, qui est responsable du traitement des données de la cellule.
      </p>

      <h2>Données personnelles</h2>
      <p>
        Les données relatives aux situations (identité de la personne concernée, notes, saisines, relevés de
        propositions, retours) sont chiffrées dans le navigateur des membres avant tout envoi. Le serveur ne conserve
        que des contenus chiffrés et les métadonnées nécessaires au fonctionnement (dates, rôles, journal des accès).
      </p>
      <p>
        Le partage d'informations entre professionnels s'inscrit dans le cadre du secret partagé (article L1110-4 du
        code de la santé publique) et de la charte de chaque cellule. Les journaux d'accès sont conservés de six à douze
        mois selon la charte, conformément aux recommandations de la CNIL.
      </p>
      <p>
        Vous disposez de droits d'accès, de rectification, d'opposition et de limitation. Pour les exercer, contactez le
        délégué à la protection des données de l'institution qui porte la cellule concernée ; ses coordonnées figurent
        sur la page de la cellule. Vous pouvez aussi adresser une réclamation à la CNIL.
      </p>

      <h2>Cookies</h2>
      <p>
        Cellule n'utilise qu'un cookie de session strictement nécessaire à la connexion. Aucun cookie de mesure
        d'audience ou de publicité n'est déposé.
      </p>

      <h2>Accessibilité</h2>
      <p>
        L'état de conformité du service est décrit dans la <a href="/accessibilite">déclaration d'accessibilité</a>.
      </p>
    </>
  )
}
