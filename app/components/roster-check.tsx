import { useEffect, useState } from 'react'
import { unlockedKeys } from '#app/auth/key-store.client.ts'
import { checkRoster, fetchRoster, rosterPinState, type RosterCheck, type RosterResponse } from '#app/cells/cell-client.ts'

export type CheckedRoster = { response: RosterResponse; check: Extract<RosterCheck, { ok: true }> }

/** How often the gate looks whether the keys were unlocked below it, to check the member's own entry. */
const KEYS_POLL_MS = 500

/**
 * Fetches and validates the roster in the browser. A roster that fails validation (signature,
 * rollback, fork, the member's own keys replaced) replaces the page's content with a blocking
 * alarm; a valid roster this device has not anchored yet shows a visible, non-blocking warning.
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
        const check = await checkRoster({ cellId, links: response.links, userId, keys: unlockedKeys() })
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

  // Keys are unlocked by a form inside the page: check again with them (own entry, synced pins).
  const waitingForKeys = state.kind === 'ready' && !state.roster.check.ownKeysChecked
  useEffect(() => {
    if (!waitingForKeys) return
    const timer = window.setInterval(() => {
      if (unlockedKeys()?.userId === userId) setVersion(value => value + 1)
    }, KEYS_POLL_MS)
    return () => window.clearInterval(timer)
  }, [waitingForKeys, userId])

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
      return (
        <>
          {state.roster.check.anchor ? null : <UnverifiedRosterNotice />}
          {state.roster.check.syncProblem ? <p className="fr-text--sm fr-mb-2w">{state.roster.check.syncProblem}</p> : null}
          {children(state.roster, () => setVersion(value => value + 1))}
        </>
      )
    default: {
      const unreachable: never = state
      return unreachable
    }
  }
}

/** Decision 022: a roster this device has no anchor for may be the server's own; say so, and how to fix it. */
function UnverifiedRosterNotice() {
  return (
    <div className="fr-alert fr-alert--warning fr-mb-3w" data-testid="registre-non-verifie">
      <h2 className="fr-alert__title">Registre non vérifié sur cet appareil</h2>
      <p>
        Cet appareil ne peut pas encore prouver que le registre des membres présenté par le serveur est bien celui de votre
        cellule : c’est la première fois que vous l’ouvrez ici, ou les données du navigateur ont été effacées. Tant que ce
        n’est pas vérifié, votre navigateur ne transmet aucune clé à d’autres membres (confirmation d’une arrivée, retrait,
        changement de rôle).
      </p>
      <p>
        Pour le vérifier : lors de la prochaine réunion, comparez le code du registre lu à voix haute avec celui affiché sur
        la page d’accueil de la cellule, puis attestez-le ; ou connectez-vous d’abord sur un appareil que vous avez déjà
        utilisé pour cette cellule, puis revenez sur celui-ci.
      </p>
    </div>
  )
}
