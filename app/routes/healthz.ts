import { type LoaderFunctionArgs } from '@remix-run/node'
import { checkHealth } from '#db/health.ts'
import { getOnly } from '#app/utils/http.server.ts'

/** GET only: any other method is a French 405. */
export const action = getOnly

export async function loader({ context }: LoaderFunctionArgs) {
  const report = await checkHealth(context.runtime.db)
  // Cache-Control: no-store comes from the server's default for every app response.
  return Response.json(report, { status: report.status === 'ok' ? 200 : 503 })
}
