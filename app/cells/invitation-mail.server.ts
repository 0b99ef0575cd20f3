import { type RequestContext } from '#app/access/authorize.server.ts'

/**
 * The invitation e-mail: links only. It names no cell (a mail crosses servers we do not control,
 * and a cell's name says what its members work on), and never carries the code the coordination
 * hands over in person, nor a key or anything of a case.
 */
export function invitationMail({ joinUrl, accountUrl }: { joinUrl: string; accountUrl: string | null }) {
  const steps = accountUrl
    ? [
        'Créez d’abord votre compte avec ce lien, à usage unique et valable 7 jours :',
        accountUrl,
        '',
        'Ouvrez ensuite votre invitation :',
        joinUrl,
      ]
    : ['Connectez-vous à votre compte, puis ouvrez votre invitation (valable 7 jours) :', joinUrl]
  const text = [
    'Bonjour,',
    '',
    'La coordination d’une cellule de prévention de la maltraitance vous invite à la rejoindre sur Cellule.',
    '',
    ...steps,
    '',
    'La coordination vous remettra en main propre un code d’invitation : il n’est jamais envoyé par courriel. Ne communiquez ce code à personne d’autre.',
    '',
    'Si vous ne vous attendiez pas à cette invitation, ignorez ce message.',
  ].join('\n')
  return { subject: 'Invitation à rejoindre une cellule sur Cellule', text }
}

/** The origin links in e-mails start with: the configured public origin, or the one the coordinator reached. */
export function publicOrigin({ request, context }: { request: Request; context: RequestContext }): string {
  return context.runtime.config.PUBLIC_ORIGIN ?? new URL(request.url).origin
}

/**
 * Sends the invitation e-mail when the deployment has a mailer; false when it has none or the mail
 * server refused (the page then shows the links to hand over). The invitation stands either way.
 */
export async function sendInvitationMail({ context, to, joinUrl, accountUrl }: { context: RequestContext; to: string; joinUrl: string; accountUrl: string | null }): Promise<boolean> {
  const { mailer, logger } = context.runtime
  if (!mailer) return false
  try {
    await mailer.send({ to, ...invitationMail({ joinUrl, accountUrl }) })
    return true
  } catch (error) {
    // The address stays out of the log; the mail server's own message says what went wrong.
    logger.warn({ requestId: context.requestId ?? null, err: error instanceof Error ? error.message : String(error) }, 'invitation e-mail not sent')
    return false
  }
}
