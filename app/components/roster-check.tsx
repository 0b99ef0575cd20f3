import { useEffect, useState } from 'react'
import { checkRoster, fetchRoster, rosterPinState, type RosterCheck, type RosterResponse } from '#app/cells/cell-client.ts'

export type CheckedRoster = { response: RosterResponse; check: Extract<RosterCheck, { ok: true }> }

/**
 * Fetches and validates the roster in the browser. A roster that fails validation (signature,
 * rollback, fork) replaces the page's content with a blocking alarm.
 */
export function RosterGate({ cellId, userId, children }: { cellId: string; userId: string; children: (roster: CheckedRoster, reload: () => void) => React.ReactNode }) {
  const [state, setState] = useState<{ kind: 'loading' } | { kind: 'ready'; roster: CheckedRoster } | { kind: 'alarm'; source: 'roster' | 'pin'; message: string } | { kind: 'error'; message: string }>({ kind: 'loading' })
  const [version, setVersion] = useState(0)
  useEffect(() => {
    let cancelled = false
    void (async () => {
      try {
        const response = await fetchRoster(cellId)
        const pin = rosterPinState({ cellId, userId })
        // An unreadable pin goes to checkRoster, which raises the alarm whatever the server serves.
        if (response.links.length === 0 && pin !== 'unreadable') {
          if (cancelled) return
          // An empty roster after this browser saw one is the ultimate rollback.
          if (pin === 'pinned') setState({ kind: 'alarm', source: 'roster', message: 'le registre déjà vu a disparu (retour en arrière)' })
          else setState({ kind: 'error', message: 'Cette cellule n’a pas encore été fondée par sa coordination.' })
          return
        }
        const check = await checkRoster({ cellId, links: response.links, userId })
        if (cancelled) return
        setState(check.ok ? { kind: 'ready', roster: { response, check } } : { kind: 'alarm', source: check.source, message: check.message })
      } catch (error) {
        if (!cancelled) setState({ kind: 'error', message: error instanceof Error ? error.message : 'Registre indisponible.' })
      }
    })()
    return () => {
      cancelled = true
    }
  }, [cellId, userId, version])

  switch (state.kind) {
    case 'loading':
      return <p role="status">Vérification du registre de la cellule…</p>
    case 'error':
      return <div className="fr-alert fr-alert--warning" role="alert"><p>{state.message}</p></div>
    case 'alarm':
      return (
        <div className="fr-alert fr-alert--error" role="alert" data-testid="alarme-registre">
          <h2 className="fr-alert__title">Alerte de sécurité : registre de la cellule invalide</h2>
          <p>
            {state.source === 'pin'
              ? `Ce navigateur ne peut plus vérifier que le serveur ne présente pas un registre plus ancien ou divergent (${state.message}).`
              : `Le registre des membres servi par le serveur ne passe pas la vérification (${state.message}).`}{' '}
            Le contenu de la cellule n’est pas affiché. N’ajoutez aucune information, prévenez la coordination et le ou la DPO de la cellule.
          </p>
        </div>
      )
    case 'ready':
      return <>{children(state.roster, () => setVersion(value => value + 1))}</>
    default: {
      const unreachable: never = state
      return unreachable
    }
  }
}
