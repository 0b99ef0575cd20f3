import { sql } from 'drizzle-orm'
import { hashChildren } from '#journal/merkle.ts'
import { type ProofTree } from '#journal/proofs.ts'
import { type Database } from '../database.ts'
import { queryRows, toSafeNumber } from './rows.ts'
import { TILE_WIDTH } from './sequencer.ts'

const TILE_HEIGHT = Math.log2(TILE_WIDTH)

/**
 * A sparse ProofTree read from the database for proofs up to `size`: level 8 and above come
 * from the stored 256-leaf tile roots, levels 0–7 only for the tiles that hold a leaf to prove
 * or a checkpoint boundary. Every range the RFC 9162 recursions ask for is then a stored or
 * computed node: aligned ranges of 256 leaves or more are tile roots or their parents, smaller
 * ones lie inside a loaded tile (the partial tile at a size boundary included).
 */
export async function loadProofTree(db: Pick<Database, 'execute'>, { size, leafIndices = [], boundarySizes = [] }: { size: number; leafIndices?: readonly number[]; boundarySizes?: readonly number[] }): Promise<ProofTree> {
  const completeTiles = Math.floor(size / TILE_WIDTH)
  const tilesToLoad = new Set<number>()
  for (const index of leafIndices) tilesToLoad.add(Math.floor(index / TILE_WIDTH))
  for (const boundary of [...boundarySizes, size]) if (boundary % TILE_WIDTH !== 0) tilesToLoad.add(Math.floor(boundary / TILE_WIDTH))
  const levels: Buffer[][] = Array.from({ length: TILE_HEIGHT + 1 }, () => [])
  const leafLevel = levels[0]!
  const wanted = [...tilesToLoad].sort((a, b) => a - b)
  for (let start = 0; start < wanted.length; start += 200) {
    const chunk = wanted.slice(start, start + 200)
    const rows = await queryRows<{ leaf_index: unknown; leaf_hash: string }>(
      db,
      sql`select leaf_index, leaf_hash from audit_leaves
          where leaf_index < ${size} and (leaf_index / ${TILE_WIDTH}) in (${sql.join(chunk.map((tile) => sql`${tile}`), sql`, `)})`,
    )
    for (const row of rows) leafLevel[toSafeNumber(row.leaf_index)] = Buffer.from(row.leaf_hash, 'hex')
  }
  // Levels 1..7 inside the loaded tiles: a node exists only where both children do.
  for (let height = 1; height <= TILE_HEIGHT; height++) {
    const below = levels[height - 1]!
    const above = levels[height]!
    for (const key of Object.keys(below)) {
      const child = Number(key)
      if (child % 2 !== 0) continue
      const left = below[child]
      const right = below[child + 1]
      if (left && right) above[child / 2] = hashChildren({ left, right })
    }
  }
  // Level 8 from the stored tiles (the computed ones for loaded tiles must agree: a mismatch is tampering).
  const tileLevel = levels[TILE_HEIGHT]!
  const tiles = await queryRows<{ tile_index: unknown; hash: string }>(db, sql`select tile_index, hash from audit_tiles where tile_index < ${completeTiles} order by tile_index`)
  for (const row of tiles) {
    const index = toSafeNumber(row.tile_index)
    const stored = Buffer.from(row.hash, 'hex')
    const computed = tileLevel[index]
    if (computed && !computed.equals(stored)) throw new Error(`tuile ${index} : racine stockée différente des feuilles / tile ${index}: stored root differs from its leaves`)
    tileLevel[index] = stored
  }
  for (let tile = 0; tile < completeTiles; tile++) if (!tileLevel[tile]) throw new Error(`tuile ${tile} manquante / tile ${tile} missing`)
  for (let below = tileLevel; below.length >= 2; ) {
    const above: Buffer[] = []
    for (let i = 0; i + 1 < below.length; i += 2) above.push(hashChildren({ left: below[i]!, right: below[i + 1]! }))
    levels.push(above)
    below = above
  }
  return { size, levels }
}
