import { diffCharters, type CharterChange, type LineChange } from '#charter/diff.ts'
import { type Charter } from '#charter/schema.ts'

function Lines({ lines }: { lines: LineChange[] }) {
  return (
    <div className="fr-mb-2w">
      {lines
        .filter(line => line.kind !== 'same')
        .map((line, index) => (
          <p key={index} className="fr-mb-1v" style={{ background: line.kind === 'added' ? '#b8fec9' : '#ffe9e6', whiteSpace: 'pre-line' }}>
            <span className="fr-sr-only">{line.kind === 'added' ? 'Ajouté : ' : 'Supprimé : '}</span>
            <span aria-hidden="true">{line.kind === 'added' ? '+ ' : '− '}</span>
            {line.text}
          </p>
        ))}
    </div>
  )
}

function Change({ change }: { change: CharterChange }) {
  switch (change.kind) {
    case 'title-changed':
      return <p>Titre : « {change.from} » devient « {change.to} ».</p>
    case 'preamble-changed':
      return (
        <>
          <h3 className="fr-h6">Préambule</h3>
          <Lines lines={change.lines} />
        </>
      )
    case 'section-added':
    case 'section-removed':
    case 'section-changed':
      return (
        <>
          <h3 className="fr-h6">
            {change.kind === 'section-added' ? 'Nouvelle section : ' : change.kind === 'section-removed' ? 'Section supprimée : ' : 'Section modifiée : '}
            {change.title}
          </h3>
          <Lines lines={change.lines} />
        </>
      )
    case 'sections-reordered':
      return <p>L’ordre des sections a changé.</p>
    case 'rule-changed':
      return (
        <p>
          {change.label} : {change.fromText} → {change.toText} {change.direction === 'looser' ? '(assoupli)' : change.direction === 'stricter' ? '(renforcé)' : ''}
        </p>
      )
    default: {
      const unreachable: never = change
      return unreachable
    }
  }
}

/** What changed since the version this member signed. */
export function CharterDiff({ from, to }: { from: Charter; to: Charter }) {
  const changes = diffCharters({ from, to })
  return (
    <section className="fr-callout fr-mb-4w" aria-labelledby="modifications-titre" data-testid="modifications-charte">
      <h2 id="modifications-titre" className="fr-callout__title">
        Modifications depuis la version {from.version} que vous avez signée
      </h2>
      {changes.length === 0 ? <p>Aucune modification du texte ni des règles.</p> : changes.map((change, index) => <Change key={index} change={change} />)}
    </section>
  )
}
