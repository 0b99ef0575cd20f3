import { type ApiResult } from '#app/auth/api-client.ts'
import { FormMessage } from './forms.tsx'

/** What an operation on the roster tells the person: success, a refusal, or a roster someone else changed meanwhile. */
export type OperationMessage = { kind: 'error' | 'success'; text: string; rosterChanged?: boolean }

/** The message of a refused call, keeping whether the refusal was a roster changed meanwhile. */
export function refusal(result: Extract<ApiResult<unknown>, { ok: false }>): OperationMessage {
  return { kind: 'error', text: result.error, rosterChanged: result.code === 'roster_changed' }
}

/**
 * Shows an operation's message. When someone else changed the roster meanwhile (another tab, another
 * coordinator), it offers to reload it: the page then shows the current roster and the person decides again.
 */
export function OperationNotice({ message, onReload }: { message: OperationMessage | null; onReload: () => void }) {
  if (!message) return null
  if (!message.rosterChanged) return <FormMessage kind={message.kind}>{message.text}</FormMessage>
  return (
    <div className="fr-alert fr-alert--warning fr-alert--sm fr-mb-3w" role="alert" data-testid="registre-modifie">
      <p>{message.text}</p>
      <button type="button" className="fr-btn fr-btn--sm fr-btn--secondary fr-mt-1w" onClick={onReload}>
        Recharger le registre
      </button>
    </div>
  )
}
