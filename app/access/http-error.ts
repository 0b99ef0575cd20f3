import { type DenyReason } from '#charter/policy-types.ts'
import { type CellNavigation } from './navigation.ts'

export type FieldErrors = Record<string, string[]>

/** What every refusal carries, for a page's error boundary and an API's caller alike. */
export type ErrorBody = {
  /** The French sentence the person reads: why, and what to do next. */
  error: string
  /** The policy's reason, when the charter policy refused (the page offers the next step from it). */
  reason?: DenyReason
  /** The cell the refusal is about, for the next step's link (« Signer la charte »). */
  cellId?: string
  /** A heading for the page that shows the refusal, when the status alone does not say it. */
  title?: string
  /**
   * The cell's navigation, for a member refused one page of their cell: the refused page keeps it,
   * with only the entries they may open. Never sent to someone outside the cell.
   */
  cellNavigation?: { cellId: string; cellName: string; allowed: CellNavigation }
  /** A refusal the caller handles in its own way: `roster_changed` offers to reload the roster. */
  code?: 'roster_changed'
  fieldErrors?: FieldErrors
}

/**
 * The one error type of the app: a Response with a French JSON body, always thrown. Remix hands a
 * thrown Response from a resource route to the caller as is, and from a page's loader or action to
 * the error boundary (`useRouteError().data` is the body), so pages and APIs share one shape and
 * no route decides between them.
 */
export class HttpError extends Response {
  readonly errorBody: ErrorBody
  constructor(status: number, message: string, extras: Omit<ErrorBody, 'error'> & { headers?: Record<string, string> } = {}) {
    const { headers, ...rest } = extras
    const body: ErrorBody = { error: message, ...rest }
    super(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers } })
    this.errorBody = body
  }
}

/** `invariantResponse` in the Epic Stack's manner: refuse with a French HttpError unless `condition` holds. */
export function invariantResponse(condition: unknown, status: number, message: string, extras?: ConstructorParameters<typeof HttpError>[2]): asserts condition {
  if (!condition) throw new HttpError(status, message, extras)
}

/** Reads the body of an error thrown as an HttpError (the boundary's view), or undefined. */
export function errorBodyOf(data: unknown): ErrorBody | undefined {
  if (data && typeof data === 'object' && typeof (data as ErrorBody).error === 'string') return data as ErrorBody
  if (typeof data === 'string') {
    try {
      return errorBodyOf(JSON.parse(data))
    } catch {
      return undefined
    }
  }
  return undefined
}
