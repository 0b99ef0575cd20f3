import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * charter/README.md has a table « rule → where it is enforced → which test proves it » for the 16
 * rules of DESIGN §9. This test keeps it from rotting silently: exactly the rules 1 to 16, and every
 * test it cites is a file that exists and holds the cited title (a substring of the file's text:
 * for generated test names, the row or case name they are built from). Files named in the
 * « where it is enforced » column must exist too, so a move shows up here.
 */

const ROOT = join(import.meta.dirname, '../../..')
const README = 'charter/README.md'
const HEADING = '## The 16 rules: where they are enforced and which test proves it'
const NO_TEST = 'none'

type Citation = { file: string; titles: string[] }
type Row = { rule: number; where: string; tests: string; line: number }

/** The rows of the table under HEADING (up to the next heading): `| # | rule | where | tests |`. */
function tableRows(markdown: string): Row[] {
  const lines = markdown.split('\n')
  const start = lines.indexOf(HEADING)
  if (start === -1) return []
  const rows: Row[] = []
  for (let index = start + 1; index < lines.length && !lines[index]!.startsWith('#'); index++) {
    const line = lines[index]!
    const cells = line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map(cell => cell.trim())
    if (!line.trim().startsWith('|') || !/^\d+$/.test(cells[0] ?? '')) continue
    if (cells.length !== 4) throw new Error(`${README}:${index + 1}: ${cells.length} cells, expected 4 (a stray | in a cell?)`)
    rows.push({ rule: Number(cells[0]), where: cells[2]!, tests: cells[3]!, line: index + 1 })
  }
  return rows
}

/** `path` « title » « title »; `path` « title » … — or `none`. */
function citations(row: Row): { cited: Citation[]; problems: string[] } {
  const cited: Citation[] = []
  const problems: string[] = []
  if (row.tests === NO_TEST) return { cited, problems }
  for (const match of row.tests.matchAll(/`([^`]+)`|«\s*([^»]+?)\s*»/g)) {
    const [, file, title] = match
    if (file !== undefined) {
      if (!file.startsWith('tests/')) problems.push(`rule ${row.rule}: \`${file}\` in the test column is not a file under tests/`)
      cited.push({ file, titles: [] })
    } else if (title !== undefined) {
      const current = cited.at(-1)
      if (!current) problems.push(`rule ${row.rule}: « ${title} » cites no file before it`)
      else current.titles.push(title)
    }
  }
  if (cited.length === 0) problems.push(`rule ${row.rule}: the test column cites nothing and does not say « ${NO_TEST} »`)
  for (const { file, titles } of cited) if (titles.length === 0) problems.push(`rule ${row.rule}: \`${file}\` is cited without a test title`)
  return { cited, problems }
}

/** The source as the titles read: quotes unescaped, so `'it\'s'` matches « it's ». */
function sourceText(file: string): string {
  return readFileSync(join(ROOT, file), 'utf8').replace(/\\(['"`])/g, '$1')
}

const PATH = /^[\w.$-]+(\/[\w.$-]+)+\.(ts|tsx|sql|md|json)$/

const rows = tableRows(readFileSync(join(ROOT, README), 'utf8'))

describe(`${README}: the table of the 16 rules`, () => {
  it('has exactly one row for each rule of DESIGN §9, 1 to 16, in order', () => {
    expect(rows.length, `no table under « ${HEADING} »`).toBeGreaterThan(0)
    expect(rows.map(row => row.rule)).toEqual(Array.from({ length: 16 }, (_, index) => index + 1))
  })

  it('says where each rule is enforced, or that it is not built yet', () => {
    expect(rows.filter(row => row.where.length < 20).map(row => `rule ${row.rule} (line ${row.line})`)).toEqual([])
  })

  it('cites, for each rule, test files that exist and titles found in them (or says none)', () => {
    const problems: string[] = []
    for (const row of rows) {
      const { cited, problems: shape } = citations(row)
      problems.push(...shape)
      for (const { file, titles } of cited) {
        if (!file.startsWith('tests/')) continue
        if (!existsSync(join(ROOT, file))) {
          problems.push(`rule ${row.rule}: \`${file}\` does not exist`)
          continue
        }
        const text = sourceText(file)
        for (const title of titles) if (!text.includes(title)) problems.push(`rule ${row.rule}: « ${title} » not found in ${file}`)
      }
    }
    expect(problems).toEqual([])
  })

  it('names only files that exist where it says a rule is enforced', () => {
    const missing = rows.flatMap(row =>
      [...row.where.matchAll(/`([^`]+)`/g)]
        .map(([, token]) => token!)
        .filter(token => PATH.test(token) && !existsSync(join(ROOT, token)))
        .map(token => `rule ${row.rule}: \`${token}\``)
    )
    expect(missing).toEqual([])
  })
})
