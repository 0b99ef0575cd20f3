import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleForBrowser } from '#tools/browser/bundle.ts'
import { chromiumAvailable, launchChromium } from '#tools/browser/chromium.ts'
import type { VectorResult } from '../unit/crypto/vector-cases.ts'

const entry = `
import { checkVectors } from './tests/unit/crypto/vector-cases.ts'
import fixture from './tests/fixtures/crypto-vectors.json'
globalThis.runCryptoVectors = () => checkVectors(fixture)
globalThis.cryptoBundleReady = true
`

describe.skipIf(!chromiumAvailable())('golden vectors (Chromium)', () => {
  let browser: Browser

  beforeAll(async () => {
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
  })

  it('the same committed vectors pass in a real browser', async () => {
    const bundle = await bundleForBrowser(entry)
    const page = await browser.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.setContent('<!doctype html><html lang="fr"><head><title>vecteurs</title></head><body></body></html>')
    await page.addScriptTag({ content: bundle, type: 'module' })
    await page.waitForFunction(() => (globalThis as { cryptoBundleReady?: boolean }).cryptoBundleReady === true)
    const results = (await page.evaluate(() => (globalThis as unknown as { runCryptoVectors: () => Promise<unknown> }).runCryptoVectors())) as VectorResult[]
    const userAgent = await page.evaluate(() => navigator.userAgent)
    await page.close()
    expect(userAgent).toMatch(/Chrome/)
    expect(pageErrors).toEqual([])
    expect(results.length).toBeGreaterThanOrEqual(14)
    expect(results.filter((result) => !result.ok)).toEqual([])
  })
})
