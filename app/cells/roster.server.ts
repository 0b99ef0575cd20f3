import { fromBase64Url } from '#crypto/encoding.ts'
import { CryptoError } from '#crypto/errors.ts'
import { parseRosterLink, type ParsedRosterLink, type RosterLinkType } from '#crypto/roster-links.ts'
import { extendRoster, validateRoster, type RosterState } from '#crypto/roster.ts'
import { initCrypto } from '#crypto/sodium.ts'
import { type Database } from '#db/database.ts'
import { appendRosterLinks, listRosterLinks } from '#db/cells.ts'
import { HttpError } from '#app/access/http-error.ts'
import { rosterChanged } from './http.server.ts'

type Reader = Pick<Database, 'select'>
type Writer = Pick<Database, 'insert' | 'update' | 'delete' | 'select'>

/** The roster as stored; the server replays it too, so it never stores a link a client would reject. */
export async function loadRoster(db: Reader, cellId: string): Promise<{ links: string[]; state: RosterState | null }> {
  await initCrypto()
  const rows = await listRosterLinks(db, cellId)
  const links = rows.map(row => row.link)
  return { links, state: links.length > 0 ? validateRoster({ cellId, links }) : null }
}

/**
 * Appends links written by `authorId` in the caller's transaction after replaying them on the
 * stored roster; only the expected link types are accepted for the operation at hand.
 */
export async function appendRosterLinksChecked({
  tx,
  cellId,
  authorId,
  links,
  allowedTypes,
}: {
  tx: Writer
  cellId: string
  authorId: string
  links: string[]
  allowedTypes: readonly RosterLinkType[]
}): Promise<{ previous: RosterState | null; state: RosterState; parsed: ParsedRosterLink[] }> {
  await initCrypto()
  let parsed: ParsedRosterLink[]
  let state: RosterState
  let previous: RosterState | null
  try {
    parsed = links.map(link => parseRosterLink(fromBase64Url(link)))
    const existing = await listRosterLinks(tx, cellId)
    previous = existing.length > 0 ? validateRoster({ cellId, links: existing.map(row => row.link) }) : null
    const current = previous
    // Written on a head this server has already moved past (another tab, another coordinator):
    // a race to say plainly, not a chain error (« numéro 17, attendu 18 »).
    const first = parsed[0]
    if (first && current && first.seq <= current.headSeq) throw rosterChanged()
    for (const link of parsed) {
      if (link.authorId !== authorId) throw new HttpError(403, 'Un maillon du registre doit être signé par vous-même.')
      if (!allowedTypes.includes(link.payload.type)) throw new HttpError(422, `Maillon « ${link.payload.type} » inattendu pour cette opération.`)
    }
    state = current ? extendRoster({ state: current, links }) : validateRoster({ cellId, links })
  } catch (error) {
    if (error instanceof CryptoError) throw new HttpError(409, `Registre refusé : ${error.message} Rechargez la page et recommencez.`)
    throw error
  }
  await appendRosterLinks(
    tx,
    parsed.map((link, index) => ({ cellId, seq: link.seq, link: links[index] as string, linkType: link.payload.type, authorId: link.authorId })),
  )
  return { previous, state, parsed }
}
