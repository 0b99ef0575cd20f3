import { asc } from 'drizzle-orm'
import { type Database } from './database.ts'
import { cells } from './schema.ts'

/** Public directory of hosted cells (names and communes only): what a referring doctor may look up. */
export async function listCellDirectory(db: Database) {
  return db
    .select({ slug: cells.slug, name: cells.name, communes: cells.communes, hostInstitution: cells.hostInstitution })
    .from(cells)
    .orderBy(asc(cells.name))
}
