import { Link } from '@remix-run/react'
import { type RosterState } from '#crypto/roster.ts'
import { keyVerification, unattestedChanges, type UnattestedChange } from '#crypto/roster-verification.ts'

/** What the meeting attestations say about the keys, as the pages of the cell show it (DESIGN §7). */

const CHANGE_LABELS: Record<UnattestedChange['type'], { named: string; anonymous: string }> = {
  add_member: { named: 'ajout de', anonymous: 'ajout d’un membre' },
  key_change: { named: 'nouvelles clés de', anonymous: 'nouvelles clés d’un membre' },
}

function describeChange({ change, names }: { change: UnattestedChange; names: Record<string, string> | undefined }): string {
  const label = CHANGE_LABELS[change.type]
  const name = names?.[change.memberId]
  return `${name ? `${label.named} ${name}` : label.anonymous} (état n° ${change.seq})`
}

/**
 * Shown on every page that shows the roster while an add_member or key_change is not covered by an
 * attestation; it cannot be dismissed, only the meeting's attestation removes it.
 */
export function UnattestedChangesBanner({
  state,
  names,
  homeLink,
  headingLevel = 'h2',
}: {
  state: RosterState
  names?: Record<string, string>
  /** Where the roster code is read and attested; omitted on that page itself. */
  homeLink?: string
  headingLevel?: 'h2' | 'h3'
}) {
  const changes = unattestedChanges(state)
  if (changes.length === 0) return null
  const Heading = headingLevel
  return (
    <div className="fr-alert fr-alert--warning fr-mb-4w" data-testid="changements-non-verifies">
      <Heading className="fr-alert__title">Un membre a été ajouté ou a changé de clés depuis la dernière vérification en réunion</Heading>
      <p>
        Pas encore vérifié en réunion : {changes.map(change => describeChange({ change, names })).join(' ; ')}. Tant que ce n’est pas fait, rien
        ne prouve que tous les membres voient les mêmes clés.
      </p>
      <p>
        À la prochaine réunion, comparez le code du registre lu à voix haute avec celui de votre écran ; s’il est identique, signez
        l’attestation. {homeLink ? <Link to={homeLink}>Voir le code du registre</Link> : null}
      </p>
    </div>
  )
}

/** Text, not colour alone: the badge says whether the member's current keys were verified at a meeting. */
export function KeyVerificationBadge({ state, memberId }: { state: RosterState; memberId: string }) {
  const verification = keyVerification({ state, memberId })
  if (!verification) return null
  return verification.status === 'verified' ? (
    <p className="fr-badge fr-badge--success fr-badge--sm" data-testid={`cles-verifiees-${memberId}`}>
      Clés vérifiées en réunion
    </p>
  ) : (
    <p className="fr-badge fr-badge--warning fr-badge--sm" data-testid={`cles-non-verifiees-${memberId}`}>
      Clés non vérifiées en réunion
    </p>
  )
}
