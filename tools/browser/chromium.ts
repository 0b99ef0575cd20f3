import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
]

/** True when a browser is available; outside CI a missing browser skips browser suites loudly. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true
  const message = `\n!!! Chromium introuvable à ${CHROMIUM_PATH} : les tests navigateur sont ignorés. Installez-le : apt-get install -y chromium\n!!! Chromium not found at ${CHROMIUM_PATH}: browser tests are SKIPPED.\n`
  if (process.env.CI === 'true') {
    throw new Error(`Chromium is required under CI=true but was not found at ${CHROMIUM_PATH}`)
  }
  process.stderr.write(message)
  return false
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS })
}
