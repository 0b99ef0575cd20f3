import { useNavigate, useRevalidator } from '@remix-run/react'
import { useEffect, useRef, useState } from 'react'
import { wipeKeys } from '#app/auth/key-store.client.ts'

const WARNING_MS = 2 * 60_000

/**
 * Idle timeout: a dialog two minutes before the session ends, offering to stay; at the deadline the
 * keys are wiped and the person is sent to the login page.
 */
export function SessionTimeout({ deadline }: { deadline: string }) {
  const dialog = useRef<HTMLDialogElement>(null)
  const navigate = useNavigate()
  const revalidator = useRevalidator()
  const [currentDeadline, setCurrentDeadline] = useState(() => new Date(deadline).getTime())
  const [remaining, setRemaining] = useState<number | null>(null)

  useEffect(() => setCurrentDeadline(new Date(deadline).getTime()), [deadline])

  useEffect(() => {
    const tick = () => {
      const left = currentDeadline - Date.now()
      if (left <= 0) {
        dialog.current?.close()
        wipeKeys()
        navigate('/connexion?motif=session-expiree')
        return
      }
      if (left <= WARNING_MS) {
        setRemaining(left)
        if (dialog.current && !dialog.current.open) dialog.current.showModal()
      }
    }
    tick()
    const timer = window.setInterval(tick, 1_000)
    return () => window.clearInterval(timer)
  }, [currentDeadline, navigate])

  async function stay() {
    const response = await fetch('/api/session', { method: 'POST', credentials: 'same-origin' })
    const status = (await response.json().catch(() => ({ active: false }))) as { active: boolean; expiresAt?: string }
    dialog.current?.close()
    setRemaining(null)
    if (status.active && status.expiresAt) setCurrentDeadline(new Date(status.expiresAt).getTime())
    else revalidator.revalidate()
  }

  const minutes = remaining === null ? 2 : Math.max(0, Math.ceil(remaining / 60_000))
  return (
    <dialog ref={dialog} aria-labelledby="expiration-titre" aria-describedby="expiration-texte" className="fr-p-4w" style={{ maxWidth: '32rem', border: '1px solid #000091' }}>
      <h2 id="expiration-titre" className="fr-h4">
        Votre session va expirer
      </h2>
      <p id="expiration-texte">
        Sans activité, vous serez déconnecté(e) dans {minutes} minute{minutes > 1 ? 's' : ''} et les clés de chiffrement
        seront effacées de ce navigateur.
      </p>
      <ul className="fr-btns-group fr-btns-group--inline-md">
        <li>
          <button type="button" className="fr-btn" onClick={() => void stay()}>
            Rester connecté(e)
          </button>
        </li>
      </ul>
    </dialog>
  )
}
