import { getDatabaseHandle } from '#db/database.ts'

/** The process-wide database, opened by server/index.ts before the first request. */
export const database = () => getDatabaseHandle().db
export { getDatabaseHandle }
