import { checkHealth } from '#db/health.ts'
import { getDatabaseHandle } from '#app/utils/db.server.ts'

export async function loader() {
  const report = await checkHealth(getDatabaseHandle())
  return Response.json(report, {
    status: report.status === 'ok' ? 200 : 503,
    headers: { 'Cache-Control': 'no-store' },
  })
}
