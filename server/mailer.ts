import nodemailer from 'nodemailer'
import { type Mailer } from '#app/runtime.server.ts'

/** Where mail goes: `SMTP_URL` and `MAIL_FROM`, validated at boot (server/config.ts). */
export type MailSettings = { smtpUrl: string; from: string }

/**
 * The one outgoing mailer (invitations now, the saisine flow later), over the SMTP server the
 * deployment names. Short timeouts: a request that sends mail must not hang on a mail server that
 * does not answer. Messages are plain text and carry links only, never a code, a key or case content.
 */
export function createMailer({ smtpUrl, from }: MailSettings): Mailer {
  const url = new URL(smtpUrl)
  // Timeouts ride on the URL (nodemailer reads its query), beside whatever the deployment set there.
  for (const [name, value] of [['connectionTimeout', '10000'], ['greetingTimeout', '10000'], ['socketTimeout', '20000']] as const) {
    if (!url.searchParams.has(name)) url.searchParams.set(name, value)
  }
  const transport = nodemailer.createTransport(url.toString())
  return {
    async send({ to, subject, text }) {
      await transport.sendMail({ from, to, subject, text })
    },
  }
}
