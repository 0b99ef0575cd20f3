import {
  type Charter,
  type CharterRules,
  RULE_DESCRIPTIONS,
  RULE_NAMES,
  type RuleName,
  compareRuleStrictness,
  formatRuleValue,
} from './schema.ts'
import { canonicalJson } from './canonical-json.ts'

/** What changed between the version a member signed and the current one (issue 5). */

export type LineChange = { kind: 'same' | 'added' | 'removed'; text: string }

export type RuleChange = {
  rule: RuleName
  from: CharterRules[RuleName]
  to: CharterRules[RuleName]
  label: string
  /** French rendering of both values, e.g. « 15 minutes » → « 10 minutes ». */
  fromText: string
  toText: string
  direction: 'stricter' | 'looser' | 'changed'
}

export type CharterChange =
  | { kind: 'title-changed'; from: string; to: string }
  | { kind: 'preamble-changed'; lines: LineChange[] }
  | { kind: 'section-added'; sectionId: string; title: string; lines: LineChange[] }
  | { kind: 'section-removed'; sectionId: string; title: string; lines: LineChange[] }
  | { kind: 'section-changed'; sectionId: string; title: string; previousTitle: string; lines: LineChange[] }
  | { kind: 'sections-reordered'; from: string[]; to: string[] }
  | ({ kind: 'rule-changed' } & RuleChange)

export function diffCharters({ from, to }: { from: Charter; to: Charter }): CharterChange[] {
  const changes: CharterChange[] = []
  if (from.title !== to.title) changes.push({ kind: 'title-changed', from: from.title, to: to.title })
  if (from.preamble !== to.preamble) changes.push({ kind: 'preamble-changed', lines: diffLines({ from: from.preamble, to: to.preamble }) })

  const previous = new Map(from.sections.map(section => [section.id, section]))
  const current = new Map(to.sections.map(section => [section.id, section]))
  for (const section of to.sections) {
    const before = previous.get(section.id)
    if (!before) {
      changes.push({ kind: 'section-added', sectionId: section.id, title: section.title, lines: diffLines({ from: '', to: section.body }) })
    } else if (before.title !== section.title || before.body !== section.body) {
      changes.push({
        kind: 'section-changed',
        sectionId: section.id,
        title: section.title,
        previousTitle: before.title,
        lines: diffLines({ from: before.body, to: section.body }),
      })
    }
  }
  for (const section of from.sections) {
    if (!current.has(section.id)) {
      changes.push({
        kind: 'section-removed',
        sectionId: section.id,
        title: section.title,
        lines: diffLines({ from: section.body, to: '' }),
      })
    }
  }
  const keptBefore = from.sections.map(section => section.id).filter(id => current.has(id))
  const keptAfter = to.sections.map(section => section.id).filter(id => previous.has(id))
  if (keptBefore.join('\n') !== keptAfter.join('\n')) changes.push({ kind: 'sections-reordered', from: keptBefore, to: keptAfter })

  for (const change of diffRules({ from: from.rules, to: to.rules })) changes.push({ kind: 'rule-changed', ...change })
  return changes
}

export function diffRules({ from, to }: { from: CharterRules; to: CharterRules }): RuleChange[] {
  return RULE_NAMES.flatMap(rule => {
    const before = from[rule]
    const after = to[rule]
    if (canonicalJson(before) === canonicalJson(after)) return []
    const strictness = compareRuleStrictness({ rule, from: before, to: after })
    return [
      {
        rule,
        from: before,
        to: after,
        label: RULE_DESCRIPTIONS[rule].label,
        fromText: formatRuleValue({ rule, value: before }),
        toText: formatRuleValue({ rule, value: after }),
        direction: strictness === -1 ? 'stricter' : strictness === 1 ? 'looser' : 'changed',
      },
    ]
  })
}

const MAX_TABLE_CELLS = 4_000_000

function splitLines(text: string): string[] {
  return text === '' ? [] : text.split(/\r\n|\n|\r/)
}

/** Line diff by longest common subsequence; common head and tail are trimmed first. */
export function diffLines({ from, to }: { from: string; to: string }): LineChange[] {
  const before = splitLines(from)
  const after = splitLines(to)
  let head = 0
  while (head < before.length && head < after.length && before[head] === after[head]) head++
  let tail = 0
  while (tail < before.length - head && tail < after.length - head && before[before.length - 1 - tail] === after[after.length - 1 - tail])
    tail++

  const left = before.slice(head, before.length - tail)
  const right = after.slice(head, after.length - tail)
  // The table is quadratic; past this size a plain "all removed, all added" is still a true diff.
  if (left.length * right.length > MAX_TABLE_CELLS) {
    return [
      ...before.slice(0, head).map(text => ({ kind: 'same' as const, text })),
      ...left.map(text => ({ kind: 'removed' as const, text })),
      ...right.map(text => ({ kind: 'added' as const, text })),
      ...after.slice(after.length - tail).map(text => ({ kind: 'same' as const, text })),
    ]
  }
  const width = right.length + 1
  // lengths[i * width + j] = LCS length of left[i..] and right[j..]
  const lengths = new Uint32Array((left.length + 1) * width)
  for (let i = left.length - 1; i >= 0; i--) {
    for (let j = right.length - 1; j >= 0; j--) {
      lengths[i * width + j] =
        left[i] === right[j]
          ? (lengths[(i + 1) * width + j + 1] ?? 0) + 1
          : Math.max(lengths[(i + 1) * width + j] ?? 0, lengths[i * width + j + 1] ?? 0)
    }
  }

  const middle: LineChange[] = []
  let i = 0
  let j = 0
  while (i < left.length && j < right.length) {
    const removedLine = left[i] as string
    const addedLine = right[j] as string
    if (removedLine === addedLine) {
      middle.push({ kind: 'same', text: removedLine })
      i++
      j++
    } else if ((lengths[(i + 1) * width + j] ?? 0) >= (lengths[i * width + j + 1] ?? 0)) {
      middle.push({ kind: 'removed', text: removedLine })
      i++
    } else {
      middle.push({ kind: 'added', text: addedLine })
      j++
    }
  }
  for (; i < left.length; i++) middle.push({ kind: 'removed', text: left[i] as string })
  for (; j < right.length; j++) middle.push({ kind: 'added', text: right[j] as string })

  return [
    ...before.slice(0, head).map(text => ({ kind: 'same' as const, text })),
    ...middle,
    ...after.slice(after.length - tail).map(text => ({ kind: 'same' as const, text })),
  ]
}
