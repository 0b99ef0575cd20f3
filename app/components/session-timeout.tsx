import { useNavigate } from '@remix-run/react'
import { useCallback, useEffect, useRef, useState } from 'react'
import { keepSessionAlive } from '#app/auth/keep-alive.ts'
import { wipeKeys } from '#app/auth/key-store.client.ts'
import { FormMessage } from './forms.tsx'

const WARNING_MS = 2 * 60_000

/**
 * Idle timeout, by the server's deadline (the strictest idle limit of the user's charters): a dialog
 * two minutes before the session ends, offering to stay; at the deadline the keys are wiped and the
 * person is sent to the login page. A server that cannot be reached when the person asks to stay is
 * said so and the page is kept (they may retry until the deadline).
 */
export function SessionTimeout({ deadline, idleMinutes }: { deadline: string; idleMinutes: number }) {
  const dialog = useRef<HTMLDialogElement>(null)
  const navigate = useNavigate()
  const [currentDeadline, setCurrentDeadline] = useState(() => new Date(deadline).getTime())
  const [remaining, setRemaining] = useState<number | null>(null)
  const [unreachable, setUnreachable] = useState(false)
  const [busy, setBusy] = useState(false)

  useEffect(() => setCurrentDeadline(new Date(deadline).getTime()), [deadline])

  const endSession = useCallback(() => {
    dialog.current?.close()
    wipeKeys()
    navigate('/connexion?motif=session-expiree')
  }, [navigate])

  useEffect(() => {
    const tick = () => {
      const left = currentDeadline - Date.now()
      if (left <= 0) return endSession()
      if (left <= WARNING_MS) {
        setRemaining(left)
        if (dialog.current && !dialog.current.open) dialog.current.showModal()
      }
    }
    tick()
    const timer = window.setInterval(tick, 1_000)
    return () => window.clearInterval(timer)
  }, [currentDeadline, endSession])

  async function stay() {
    setBusy(true)
    const result = await keepSessionAlive().finally(() => setBusy(false))
    switch (result.kind) {
      case 'extended':
        setUnreachable(false)
        dialog.current?.close()
        setRemaining(null)
        setCurrentDeadline(result.deadline)
        return
      case 'ended':
        return endSession()
      case 'unreachable':
        return setUnreachable(true)
      default: {
        const unreachableKind: never = result
        return unreachableKind
      }
    }
  }

  const minutes = remaining === null ? 2 : Math.max(0, Math.ceil(remaining / 60_000))
  return (
    <dialog ref={dialog} aria-labelledby="expiration-titre" aria-describedby="expiration-texte" className="fr-p-4w" style={{ maxWidth: '32rem', border: '1px solid #000091' }}>
      <h2 id="expiration-titre" className="fr-h4">
        Votre session va expirer
      </h2>
      <p id="expiration-texte">
        Une session se ferme après {idleMinutes} minutes sans activité : vous serez déconnecté(e) dans {minutes}{' '}
        minute{minutes > 1 ? 's' : ''} et les clés de chiffrement seront effacées de ce navigateur.
      </p>
      {unreachable ? (
        <FormMessage kind="error">
          Le serveur n’a pas pu être joint : votre session n’a pas été prolongée. Vérifiez votre connexion et réessayez.
        </FormMessage>
      ) : null}
      <ul className="fr-btns-group fr-btns-group--inline-md">
        <li>
          <button type="button" className="fr-btn" onClick={() => void stay()} disabled={busy}>
            Rester connecté(e)
          </button>
        </li>
      </ul>
    </dialog>
  )
}
