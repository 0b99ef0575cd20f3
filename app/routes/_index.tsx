import { type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node'
import { useLoaderData } from '@remix-run/react'
import { listCellDirectory } from '#db/cells.ts'
import { getOnly } from '#app/utils/http.server.ts'

export const meta: MetaFunction = () => [{ title: 'Accueil — Cellule' }]

/** GET only: any other method is a French 405. */
export const action = getOnly

export async function loader({ context }: LoaderFunctionArgs) {
  return { cells: await listCellDirectory(context.runtime.db.db) }
}

const AUDIENCES = [
  {
    id: 'membres',
    title: 'Membres de la cellule',
    body: "Médecins, travailleurs sociaux, services de soins à domicile, secteur psychiatrique : vous échangez sur les situations dans le cadre du secret partagé, après avoir signé la charte de la cellule. Seuls les participants d'une situation voient l'identité de la personne concernée.",
  },
  {
    id: 'coordination',
    title: 'Coordination',
    body: "Vous animez la cellule : membres et rôles, charte, ordre du jour des réunions, tri des saisines et retour aux médecins saisissants. Chaque nouvelle personne est vérifiée en présentiel par un code à lire à voix haute.",
  },
  {
    id: 'medecins',
    title: 'Médecins saisissants',
    body: "Médecin libéral, vous pouvez saisir la cellule pour une situation de maltraitance suspectée, sans créer de compte. Votre saisine est chiffrée dans votre navigateur ; un code de réponse vous permet de lire le retour de la cellule. En cas de danger immédiat : 15, 17 ou 112.",
  },
  {
    id: 'dpo',
    title: 'Délégués à la protection des données',
    body: "Vous contrôlez qui a consulté quoi, grâce à un journal des accès infalsifiable que vous pouvez vérifier hors ligne. Vous ne voyez jamais le contenu des situations.",
  },
  {
    id: 'administration',
    title: 'Administration de la plateforme',
    body: 'Vous créez les cellules et désignez leur première coordination. Vous ne détenez aucune clé et ne voyez aucun contenu.',
  },
] as const

export default function Home() {
  const { cells } = useLoaderData<typeof loader>()
  return (
    <>
      <h1>Cellule : prévenir ensemble la maltraitance des adultes</h1>
      <p className="fr-text--lead">
        Cellule accueille les cellules de prévention de la maltraitance des personnes âgées ou en situation de handicap.
        Les professionnels y partagent, dans le respect du secret professionnel, ce qui est strictement nécessaire pour
        protéger une personne. Le contenu des situations est chiffré de bout en bout : ni l'hébergeur ni la base de
        données ne peuvent le lire.
      </p>

      <h2 className="fr-mt-6w">À qui s'adresse ce service ?</h2>
      <div className="fr-grid-row fr-grid-row--gutters">
        {AUDIENCES.map(audience => (
          <section key={audience.id} className="fr-col-12 fr-col-md-6" aria-labelledby={`public-${audience.id}`}>
            <div className="fr-card fr-card--no-arrow">
              <div className="fr-card__body">
                <div className="fr-card__content">
                  <h3 id={`public-${audience.id}`} className="fr-card__title">
                    {audience.title}
                  </h3>
                  <p className="fr-card__desc">{audience.body}</p>
                </div>
              </div>
            </div>
          </section>
        ))}
      </div>

      <h2 className="fr-mt-6w">Cellules hébergées</h2>
      {cells.length === 0 ? (
        <p>Aucune cellule n'est encore hébergée sur cette plateforme.</p>
      ) : (
        <ul>
          {cells.map(cell => (
            <li key={cell.slug}>
              <strong>{cell.name}</strong> — {cell.communes.join(', ')} ({cell.hostInstitution})
            </li>
          ))}
        </ul>
      )}

      <div className="fr-callout fr-mt-6w">
        <h2 className="fr-callout__title">Une personne est en danger immédiat ?</h2>
        <p className="fr-callout__text">
          N'attendez pas une réunion de la cellule : appelez le <strong>15</strong> (SAMU), le <strong>17</strong>{' '}
          (police, gendarmerie) ou le <strong>112</strong>. Pour conseil, le <strong>3977</strong> (numéro national contre
          la maltraitance des personnes âgées et des adultes en situation de handicap).
        </p>
      </div>
    </>
  )
}
