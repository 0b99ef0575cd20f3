import { createHash, randomBytes } from 'node:crypto'

/** A 256-bit random token for a link or a cookie; the database keeps only its SHA-256. */
export function newToken(): string {
  return randomBytes(32).toString('base64url')
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}
