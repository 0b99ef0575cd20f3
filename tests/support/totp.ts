import { Secret, TOTP } from 'otpauth'

/**
 * What an authenticator app would show, but never a step already used: the server refuses replays,
 * so when the last accepted step is the newest acceptable one, wait for the clock to move on.
 */
export async function nextTotpCode({ manualKey, email, lastStep }: { manualKey: string; email: string; lastStep: number }) {
  const totp = new TOTP({ issuer: 'Cellule', label: email, algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(manualKey.replace(/\s/g, '')) })
  for (;;) {
    const current = Math.floor(Date.now() / 30_000)
    // The server accepts one step of drift either way; the previous step could expire before it is checked.
    for (const step of [current, current + 1]) {
      if (step > lastStep) return { code: totp.generate({ timestamp: step * 30_000 + 1 }), step }
    }
    await new Promise(resolve => setTimeout(resolve, 1_000))
  }
}
