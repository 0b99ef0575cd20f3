/** Calls one of our JSON endpoints; a refusal comes back as `{ ok: false, error }` in French. */
export type ApiResult<T> =
  | { ok: true; data: T }
  | { ok: false; status: number; error: string; fieldErrors?: Record<string, string[]>; /** A refusal the page handles in its own way (ErrorBody.code). */ code?: 'roster_changed' }

export async function postJson<T>(url: string, body: unknown): Promise<ApiResult<T>> {
  let response: Response
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
    })
  } catch {
    return { ok: false, status: 0, error: 'Le serveur ne répond pas. Vérifiez votre connexion et réessayez.' }
  }
  const payload = (await response.json().catch(() => ({}))) as { error?: string; fieldErrors?: Record<string, string[]>; code?: unknown }
  if (!response.ok) {
    return {
      ok: false,
      status: response.status,
      error: payload.error ?? `Le serveur a refusé la demande (erreur ${response.status}).`,
      fieldErrors: payload.fieldErrors,
      ...(payload.code === 'roster_changed' ? { code: 'roster_changed' as const } : {}),
    }
  }
  return { ok: true, data: payload as T }
}
