import AxeBuilder from '@axe-core/playwright'
import { type Page } from 'playwright-core'
import { expect } from 'vitest'

/** RGAA regression net: WCAG 2.1 A and AA rules must report zero violations on the page as it is now. */
export async function expectNoAxeViolations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  const summary = results.violations.map(violation => ({
    id: violation.id,
    impact: violation.impact,
    targets: violation.nodes.map(node => node.target.join(' ')),
    html: violation.nodes.map(node => node.html.slice(0, 240)),
  }))
  expect(summary).toEqual([])
  expect(results.passes.length).toBeGreaterThan(0)
}
