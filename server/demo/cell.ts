import { count } from 'drizzle-orm'
import { type Database } from '#db/database.ts'
import { cells } from '#db/schema.ts'

export const DEMO_CELL = {
  slug: 'sevran',
  name: 'Cellule de prévention de la maltraitance des adultes — Sevran',
  communes: ['Sevran'],
  hostInstitution: 'Ville de Sevran — direction de la santé',
  dpoContact: 'dpo@ville-sevran.example.fr',
} as const

export type SeedReport = { created: string[]; existing: string[] }

/** The demo cell's row. Idempotent: creates what is missing, leaves the rest untouched, says which. */
export async function seedDemo(db: Database): Promise<SeedReport> {
  const report: SeedReport = { created: [], existing: [] }
  const inserted = await db
    .insert(cells)
    .values({ ...DEMO_CELL, communes: [...DEMO_CELL.communes] })
    .onConflictDoNothing({ target: cells.slug })
    .returning({ id: cells.id })
  const label = `cellule « ${DEMO_CELL.name} »`
  if (inserted.length > 0) report.created.push(label)
  else report.existing.push(label)
  return report
}

/** No cell at all: the server seeds the demo at start only then (`SEED_DEMO`). */
export async function databaseIsEmpty(db: Database): Promise<boolean> {
  const [row] = await db.select({ total: count() }).from(cells)
  return (row?.total ?? 0) === 0
}
