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

/** The same check at a desktop and a phone width (the DSFR header turns into a menu button under 992 px). */
export async function expectNoAxeViolationsAtWidths(page: Page, widths: readonly number[] = [1280, 390]) {
  const original = page.viewportSize()
  try {
    for (const width of widths) {
      await page.setViewportSize({ width, height: original?.height ?? 800 })
      await page.evaluate(() => new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve))))
      await expectNoAxeViolations(page)
    }
  } finally {
    if (original) await page.setViewportSize(original)
  }
}
