import { prepareConfirmation, prepareFounding, signCharter, type KeyBlob } from '#app/cells/cell-client.ts'
import { validateRosterForSealing } from '#app/cells/roster-pins-anchor.ts'
import { DEFAULT_CHARTER } from '#charter/default-charter.ts'
import { charterHash } from '#charter/hash.ts'
import { type IdentityKeys } from '#crypto/identity.ts'
import { parseRosterLink } from '#crypto/roster-links.ts'
import { validateRoster } from '#crypto/roster.ts'
import { appendRosterLinks, findCharterVersion, insertCharterSignature, insertKeyBlobs, listRosterLinks, upsertActiveMembership } from '#db/cells.ts'
import { type Database } from '#db/database.ts'
import { cellCharters } from '#db/schema.ts'

export type DemoKeys = { userId: string; accountKey: Uint8Array; identity: IdentityKeys; role: 'coordinator' | 'member' | 'associate' | 'dpo' }

/** Charter version 1 of a cell, created if missing (cells made before charters existed, the demo cell). */
export async function ensureFirstCharter(db: Database, cellId: string): Promise<string> {
  const existing = await findCharterVersion(db, { cellId, version: 1 })
  if (existing) return existing.hash
  const hash = await charterHash(DEFAULT_CHARTER)
  await db.insert(cellCharters).values({ cellId, version: 1, content: DEFAULT_CHARTER, hash }).onConflictDoNothing()
  return hash
}

/**
 * Founds the demo cell exactly as browsers would (same library, same checks on replay): the demo
 * coordinator creates the roster and keys, adds the other demo accounts, and everyone signs the charter.
 * Only possible while the demo accounts' keys are in memory, i.e. when the seed creates them.
 */
export async function foundDemoCell({ db, cellId, members }: { db: Database; cellId: string; members: DemoKeys[] }) {
  if ((await listRosterLinks(db, cellId)).length > 0) return false
  const coordinator = members.find(member => member.role === 'coordinator')
  if (!coordinator) return false
  const hash = await ensureFirstCharter(db, cellId)
  const founding = await prepareFounding({ cellId, keys: coordinator, charterHash: hash })
  const links = [...founding.links]
  const blobs: KeyBlob[] = [...founding.sealed]
  const signatures = [{ userId: coordinator.userId, signature: founding.charterSignature }]
  for (const member of members.filter(candidate => candidate !== coordinator)) {
    const state = validateRosterForSealing({ cellId, links })
    const confirmation = prepareConfirmation({
      state,
      blobs,
      keys: coordinator,
      newcomer: { memberId: member.userId, signPublicKey: member.identity.signing.publicKey, boxPublicKey: member.identity.box.publicKey, keyChangeSignature: undefined },
      role: member.role,
      kind: 'member',
    })
    links.push(...confirmation.links)
    blobs.push(...confirmation.sealed)
    signatures.push({ userId: member.userId, signature: signCharter({ cellId, version: 1, hash, keys: member }) })
  }
  validateRoster({ cellId, links })
  await db.transaction(async tx => {
    await appendRosterLinks(
      tx,
      links.map(link => {
        const parsed = parseRosterLink(link)
        return { cellId, seq: parsed.seq, link, linkType: parsed.payload.type, authorId: parsed.authorId }
      }),
    )
    await insertKeyBlobs(tx, blobs.map(blob => ({ cellId, ...blob })))
    for (const member of members) await upsertActiveMembership(tx, { cellId, userId: member.userId, role: member.role })
    for (const signature of signatures) await insertCharterSignature(tx, { cellId, userId: signature.userId, version: 1, hash, signature: signature.signature })
  })
  return true
}

