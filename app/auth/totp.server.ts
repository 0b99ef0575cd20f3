import { Secret, TOTP } from 'otpauth'
import QRCode from 'qrcode'

const PERIOD_SECONDS = 30

function totpFor({ secret, email }: { secret: string; email: string }) {
  return new TOTP({ issuer: 'Cellule', label: email, algorithm: 'SHA1', digits: 6, period: PERIOD_SECONDS, secret: Secret.fromBase32(secret) })
}

export function generateTotpSecret(): string {
  return new Secret({ size: 20 }).base32
}

/** Enrolment material: the otpauth URI as a QR code (data URL, no third party) and the key in groups of 4. */
export async function totpEnrolment({ secret, email }: { secret: string; email: string }) {
  const uri = totpFor({ secret, email }).toString()
  const qrCode = await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 220 })
  return { qrCode, manualKey: secret.match(/.{1,4}/g)?.join(' ') ?? secret }
}

export type TotpCheck = { ok: true; step: number } | { ok: false; reason: 'bad_code' | 'replayed' }

/** Accepts the current code and its neighbours (clock drift), never a step already used. */
export function checkTotp({ secret, email, code, lastStep, now = Date.now() }: { secret: string; email: string; code: string; lastStep: number | null; now?: number }): TotpCheck {
  const delta = totpFor({ secret, email }).validate({ token: code, timestamp: now, window: 1 })
  if (delta === null) return { ok: false, reason: 'bad_code' }
  const step = Math.floor(now / 1000 / PERIOD_SECONDS) + delta
  if (lastStep !== null && step <= lastStep) return { ok: false, reason: 'replayed' }
  return { ok: true, step }
}
