import { postJson } from '#app/auth/api-client.ts'
import { checkRoster, fetchRoster, prepareAttestation, StaleAttestationError, type UnlockedKeys } from './cell-client.ts'

export type AttestationOutcome = { kind: 'error' | 'success'; text: string }

/**
 * Signs « J'atteste » for the security head the page displayed. The roster is fetched and checked
 * again first, so that a colleague's attestation meanwhile does not make the link stale; a moved
 * security head means the person compared a code that is no longer current, and nothing is signed.
 */
export async function attestDisplayedHead({
  cellId,
  userId,
  displayed,
  keys,
}: {
  cellId: string
  userId: string
  displayed: { seq: number; hash: Uint8Array }
  keys: UnlockedKeys
}): Promise<AttestationOutcome> {
  for (let attempt = 0; attempt < 2; attempt++) {
    let links: string[]
    try {
      links = (await fetchRoster(cellId)).links
    } catch (error) {
      // fetchRoster's errors carry the server's French message.
      return { kind: 'error', text: error instanceof Error ? error.message : 'Registre indisponible : réessayez dans un instant.' }
    }
    const fresh = await checkRoster({ cellId, links, userId })
    if (!fresh.ok) return { kind: 'error', text: `Le registre ne passe plus la vérification (${fresh.message}) : rechargez la page et prévenez la coordination.` }
    let body: ReturnType<typeof prepareAttestation>
    try {
      body = prepareAttestation({ state: fresh.state, displayed, keys })
    } catch (error) {
      if (error instanceof StaleAttestationError) return { kind: 'error', text: error.message }
      throw error
    }
    const result = await postJson(`/api/cells/${cellId}/roster`, body)
    if (result.ok) return { kind: 'success', text: `Votre attestation de l’état n° ${displayed.seq} est inscrite au registre.` }
    // 409: another link took the position in between; chain on the new head once more.
    if (result.status !== 409) return { kind: 'error', text: result.error }
  }
  return { kind: 'error', text: 'Le registre a changé pendant votre attestation : rechargez la page, comparez de nouveau le code, puis attestez.' }
}
