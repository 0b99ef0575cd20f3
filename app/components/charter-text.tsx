import Markdown, { type Components } from 'react-markdown'
import { formatRuleValue, RULE_DESCRIPTIONS, RULE_NAMES, type Charter } from '#charter/schema.ts'

/**
 * Markdown of the charter's text as React elements. No raw HTML ever reaches the page (react-markdown
 * escapes it and we add no rehype-raw), URLs go through its safe-protocol filter, and headings inside
 * a section become bold paragraphs so the page's heading order stays the charter's own.
 */
const ALLOWED = ['p', 'ul', 'ol', 'li', 'strong', 'em', 'a', 'br', 'blockquote', 'code', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr']
const asStrongParagraph: Components['h1'] = ({ children }) => (
  <p>
    <strong>{children}</strong>
  </p>
)
const COMPONENTS: Components = {
  h1: asStrongParagraph,
  h2: asStrongParagraph,
  h3: asStrongParagraph,
  h4: asStrongParagraph,
  h5: asStrongParagraph,
  h6: asStrongParagraph,
  a: ({ href, children }) => (
    <a href={href} rel="noopener noreferrer">
      {children}
    </a>
  ),
}

export function CharterMarkdown({ text }: { text: string }) {
  return (
    <Markdown allowedElements={ALLOWED} unwrapDisallowed skipHtml components={COMPONENTS}>
      {text}
    </Markdown>
  )
}

/** Anchor of a section (its id is a unique slug: charter/schema.ts). */
export function sectionAnchor(sectionId: string) {
  return `charte-${sectionId}`
}

/** The charter as members read and sign it: a table of contents, the sections, then the rules it sets (with their units). */
export function CharterText({ charter }: { charter: Charter }) {
  return (
    <article aria-labelledby="charte-titre" className="fr-mb-4w">
      <h2 id="charte-titre">
        {charter.title} — version {charter.version}
      </h2>
      <CharterMarkdown text={charter.preamble} />
      <nav aria-labelledby="charte-sommaire" className="fr-summary fr-mb-4w">
        <h3 id="charte-sommaire" className="fr-summary__title">
          Sommaire
        </h3>
        <ol>
          {charter.sections.map(section => (
            <li key={section.id}>
              <a className="fr-summary__link" href={`#${sectionAnchor(section.id)}`}>
                {section.title}
              </a>
            </li>
          ))}
          <li>
            <a className="fr-summary__link" href="#charte-regles">
              Règles appliquées par la plateforme
            </a>
          </li>
        </ol>
      </nav>
      {charter.sections.map(section => (
        <section key={section.id} aria-labelledby={sectionAnchor(section.id)}>
          <h3 id={sectionAnchor(section.id)} className="fr-h5">
            {section.title}
          </h3>
          <CharterMarkdown text={section.body} />
        </section>
      ))}
      <section aria-labelledby="charte-regles">
        <h3 id="charte-regles" className="fr-h5">
          Règles appliquées par la plateforme
        </h3>
        <p>Ces valeurs font partie de la version signée ; la plateforme les applique (durées de session, conservation, seuils).</p>
        <ul>
          {RULE_NAMES.map(rule => (
            <li key={rule}>
              {RULE_DESCRIPTIONS[rule].label} : <strong>{formatRuleValue({ rule, value: charter.rules[rule] })}</strong>
            </li>
          ))}
        </ul>
      </section>
    </article>
  )
}
