import { DEFAULT_CHARTER, charterRulesSchema, diffCharters, diffLines, type Charter, type LineChange } from '#charter/index.ts'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

function edit(change: (charter: Charter) => Partial<Charter>): Charter {
  return { ...DEFAULT_CHARTER, version: 2, ...change(DEFAULT_CHARTER) }
}

function replaceSection(charter: Charter, id: string, change: Partial<Charter['sections'][number]>): Charter['sections'] {
  return charter.sections.map(section => (section.id === id ? { ...section, ...change } : section))
}

const sideOf = (lines: LineChange[], side: 'from' | 'to') =>
  lines.filter(line => line.kind === 'same' || line.kind === (side === 'from' ? 'removed' : 'added')).map(line => line.text)

describe('diffCharters', () => {
  it('finds nothing between identical charters, whatever the version number', () => {
    expect(diffCharters({ from: DEFAULT_CHARTER, to: DEFAULT_CHARTER })).toEqual([])
    expect(diffCharters({ from: DEFAULT_CHARTER, to: { ...DEFAULT_CHARTER, version: 7 } })).toEqual([])
  })

  it('shows the added and removed lines of an edited section', () => {
    const to = edit(charter => ({
      sections: replaceSection(charter, 'bris-de-glace', {
        body: 'Ligne conservée.\nNouvelle ligne.',
      }),
    }))
    const from = {
      ...DEFAULT_CHARTER,
      sections: replaceSection(DEFAULT_CHARTER, 'bris-de-glace', { body: 'Ligne conservée.\nAncienne ligne.' }),
    }
    expect(diffCharters({ from, to })).toEqual([
      {
        kind: 'section-changed',
        sectionId: 'bris-de-glace',
        title: 'Accès en urgence (bris de glace)',
        previousTitle: 'Accès en urgence (bris de glace)',
        lines: [
          { kind: 'same', text: 'Ligne conservée.' },
          { kind: 'removed', text: 'Ancienne ligne.' },
          { kind: 'added', text: 'Nouvelle ligne.' },
        ],
      },
    ])
  })

  it('lists a renamed section, an added section and a removed section', () => {
    const to = edit(charter => ({
      sections: [
        ...replaceSection(charter, 'typologie', { title: 'Typologie (consensus 2021)' }).filter(section => section.id !== 'propositions'),
        { id: 'quorum', title: 'Quorum', body: 'Deux professionnels de santé au moins.\nUn membre du social.' },
      ],
    }))
    const changes = diffCharters({ from: DEFAULT_CHARTER, to })
    expect(changes.map(change => change.kind)).toEqual(['section-changed', 'section-added', 'section-removed'])
    expect(changes[0]).toMatchObject({
      sectionId: 'typologie',
      title: 'Typologie (consensus 2021)',
      previousTitle: 'Typologie des situations',
    })
    expect((changes[0] as { lines: LineChange[] }).lines.every(line => line.kind === 'same')).toBe(true)
    expect(changes[1]).toEqual({
      kind: 'section-added',
      sectionId: 'quorum',
      title: 'Quorum',
      lines: [
        { kind: 'added', text: 'Deux professionnels de santé au moins.' },
        { kind: 'added', text: 'Un membre du social.' },
      ],
    })
    expect(changes[2]).toMatchObject({
      kind: 'section-removed',
      sectionId: 'propositions',
      title: 'La cellule propose, elle ne décide pas',
    })
    expect((changes[2] as { lines: LineChange[] }).lines.every(line => line.kind === 'removed')).toBe(true)
  })

  it('lists rule changes with French labels and their direction', () => {
    const to = edit(() => ({
      rules: charterRulesSchema.parse({ idleTimeoutMinutes: 10, nominativeAccessCategories: ['health'], smallCountThreshold: 10 }),
    }))
    const from = { ...DEFAULT_CHARTER, rules: charterRulesSchema.parse({ feedbackDeadlineDays: 15 }) }
    expect(diffCharters({ from, to })).toEqual([
      {
        kind: 'rule-changed',
        rule: 'idleTimeoutMinutes',
        from: 15,
        to: 10,
        label: 'Déconnexion après inactivité',
        fromText: '15 minutes',
        toText: '10 minutes',
        direction: 'stricter',
      },
      {
        kind: 'rule-changed',
        rule: 'nominativeAccessCategories',
        from: ['health', 'social'],
        to: ['health'],
        label: 'Professionnels ayant un accès nominatif',
        fromText: 'professionnels de santé, professionnels du social et du médico-social',
        toText: 'professionnels de santé',
        direction: 'stricter',
      },
      {
        kind: 'rule-changed',
        rule: 'smallCountThreshold',
        from: 5,
        to: 10,
        label: 'Seuil de masquage des petits effectifs dans les statistiques',
        fromText: '5 personnes',
        toText: '10 personnes',
        direction: 'stricter',
      },
      {
        kind: 'rule-changed',
        rule: 'feedbackDeadlineDays',
        from: 15,
        to: 30,
        label: 'Délai de retour au saisissant',
        fromText: '15 jours',
        toText: '30 jours',
        direction: 'looser',
      },
    ])
  })

  it('notices a title, preamble and order change', () => {
    const to = edit(charter => ({
      title: 'Charte de la cellule de Sevran',
      preamble: 'Préambule.',
      sections: [...charter.sections].reverse(),
    }))
    const kinds = diffCharters({ from: DEFAULT_CHARTER, to }).map(change => change.kind)
    expect(kinds).toEqual(['title-changed', 'preamble-changed', 'sections-reordered'])
  })
})

describe('diffLines', () => {
  it('keeps unchanged lines and marks the rest', () => {
    expect(diffLines({ from: 'a\nb\nc\nd', to: 'a\nc\nx\nd' })).toEqual([
      { kind: 'same', text: 'a' },
      { kind: 'removed', text: 'b' },
      { kind: 'same', text: 'c' },
      { kind: 'added', text: 'x' },
      { kind: 'same', text: 'd' },
    ])
    expect(diffLines({ from: '', to: '' })).toEqual([])
    expect(diffLines({ from: 'a\r\nb', to: 'a\nb' })).toEqual([
      { kind: 'same', text: 'a' },
      { kind: 'same', text: 'b' },
    ])
  })

  it('rebuilds both texts and keeps a longest common subsequence', () => {
    const lines = fc.array(fc.constantFrom('a', 'b', 'c', 'd', ''), { maxLength: 30 })
    fc.assert(
      fc.property(lines, lines, (before, after) => {
        const diff = diffLines({ from: before.join('\n'), to: after.join('\n') })
        const from = before.join('\n') === '' ? [] : before
        const to = after.join('\n') === '' ? [] : after
        expect(sideOf(diff, 'from')).toEqual(from)
        expect(sideOf(diff, 'to')).toEqual(to)
        expect(diff.filter(line => line.kind === 'same')).toHaveLength(lcsLength(from, to))
      })
    )
  })

  it('falls back to all removed then all added when the table would be too large', () => {
    const before = Array.from({ length: 3000 }, (_, index) => `avant ${index}`).join('\n')
    const after = Array.from({ length: 3000 }, (_, index) => `après ${index}`).join('\n')
    const diff = diffLines({ from: before, to: after })
    expect(diff).toHaveLength(6000)
    expect(sideOf(diff, 'to')).toEqual(after.split('\n'))
  })
})

function lcsLength(left: string[], right: string[]): number {
  let previous = new Array<number>(right.length + 1).fill(0)
  for (const item of left) {
    const current = [0]
    right.forEach((other, index) =>
      current.push(item === other ? (previous[index] ?? 0) + 1 : Math.max(previous[index + 1] ?? 0, current[index] ?? 0))
    )
    previous = current
  }
  return previous[right.length] ?? 0
}
