import { type MetaFunction } from '@remix-run/node'
import { getOnly } from '#app/utils/http.server.ts'

export const meta: MetaFunction = () => [{ title: "Déclaration d'accessibilité — Cellule" }]

/** GET only: any other method is a French 405. */
export const action = getOnly

export default function AccessibilityStatement() {
  return (
    <>
      <h1>Déclaration d'accessibilité</h1>
      <p>
        L'éditeur de Cellule s'engage à rendre ce service accessible conformément à l'article 47 de la loi n° 2005-102 du
        11 février 2005. Cette déclaration d'accessibilité s'applique au service Cellule.
      </p>

      <h2>État de conformité</h2>
      <p>
        Cellule est <strong>non conforme</strong> avec le référentiel général d'amélioration de l'accessibilité (RGAA),
        version 4.1.2, en raison de l'absence d'audit de conformité à ce jour.
      </p>

      <h2>Résultats des tests</h2>
      <p>
        Aucun audit RGAA complet n'a encore été réalisé. Chaque page du service est vérifiée automatiquement à chaque
        modification avec l'outil axe-core (critères WCAG 2.1 niveaux A et AA) dans un navigateur Chromium, et les
        parcours principaux sont testés au clavier. Un contrôle automatique ne couvre qu'une partie des critères : un
        audit manuel est prévu.
      </p>

      <h2>Établissement de cette déclaration</h2>
      <p>Cette déclaration a été établie le 22 novembre 2026.</p>
      <h3>Technologies utilisées</h3>
      <ul>
        <li>HTML5</li>
        <li>CSS (Système de design de l'État, DSFR)</li>
        <li>JavaScript (nécessaire au chiffrement de bout en bout des contenus)</li>
      </ul>
      <h3>Environnement de test</h3>
      <ul>
        <li>Chromium (version Debian) avec axe-core</li>
        <li>Navigation au clavier seul</li>
      </ul>

      <h2>Retour d'information et contact</h2>
      <p>
        Si vous n'arrivez pas à accéder à un contenu ou à un service, contactez l'administrateur de la plateforme de
        votre cellule pour être orienté vers une alternative accessible ou obtenir le contenu sous une autre forme.
      </p>

      <h2>Voies de recours</h2>
      <p>
        Si vous constatez un défaut d'accessibilité vous empêchant d'accéder à un contenu ou à une fonctionnalité du
        service, que vous nous l'avez signalé et que vous n'avez pas obtenu de réponse satisfaisante, vous pouvez :
      </p>
      <ul>
        <li>écrire un message au Défenseur des droits (formulaire en ligne sur le site du Défenseur des droits) ;</li>
        <li>contacter le délégué du Défenseur des droits dans votre région ;</li>
        <li>
          envoyer un courrier par la poste (gratuit, ne pas mettre de timbre) : Défenseur des droits, Libre réponse 71120,
          75342 Paris CEDEX 07.
        </li>
      </ul>
    </>
  )
}
