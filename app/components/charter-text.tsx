import { type Charter } from '#charter/schema.ts'

/** The charter's sections as plain paragraphs (markdown kept as text: no HTML from stored content). */
export function CharterText({ charter }: { charter: Charter }) {
  return (
    <article aria-label={`Charte, version ${charter.version}`} className="fr-mb-4w">
      <h2>
        {charter.title} — version {charter.version}
      </h2>
      <p>{charter.preamble}</p>
      {charter.sections.map(section => (
        <section key={section.id}>
          <h3 className="fr-h5">{section.title}</h3>
          {section.body.split(/\n{2,}/).map((paragraph, index) => (
            <p key={index} style={{ whiteSpace: 'pre-line' }}>
              {paragraph}
            </p>
          ))}
        </section>
      ))}
    </article>
  )
}
