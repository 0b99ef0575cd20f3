import { type Browser, type BrowserContext, type Page } from 'playwright-core'
import { sessionCookie, type AccountFixture } from './account-factory.ts'

/** One person at their own browser, signed in, with the page errors and console errors they met. */
export type Person = { account: AccountFixture; context: BrowserContext; page: Page; problems: string[] }

/**
 * A French browser context holding the account's session. Console errors count as problems unless
 * they are the failed load a refused page or call logs for itself (`expectedStatuses`).
 */
export async function personAt({ browser, appUrl, account, expectedStatuses = [] }: { browser: Browser; appUrl: string; account: AccountFixture; expectedStatuses?: readonly number[] }): Promise<Person> {
  const context = await browser.newContext({ locale: 'fr-FR' })
  await context.addCookies([sessionCookie({ url: appUrl, token: account.sessionToken })])
  const page = await context.newPage()
  const problems: string[] = []
  const expected = expectedStatuses.length > 0 ? new RegExp(`status of (${expectedStatuses.join('|')})`) : null
  page.on('pageerror', error => problems.push(error.message))
  page.on('console', message => {
    if (message.type() === 'error' && !expected?.test(message.text())) problems.push(message.text())
  })
  return { account, context, page, problems }
}

/** Keys live in memory only: after a full page load the person types their password once. */
export async function unlockIfAsked(person: Person): Promise<void> {
  const unlock = person.page.getByRole('button', { name: 'Déverrouiller' })
  await person.page.waitForFunction(() => !document.body.innerText.includes('Chargement de vos clés'))
  if (await unlock.count()) {
    await person.page.getByLabel('Mot de passe').fill(person.account.password)
    await unlock.click()
    await unlock.waitFor({ state: 'detached', timeout: 30_000 })
  }
}
