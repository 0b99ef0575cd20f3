import {
  decryptAttachment,
  decryptAttachmentBytes,
  deriveAttachmentKey,
  encryptAttachment,
  encryptAttachmentBytes,
  initCrypto,
  ATTACHMENT_HEADER_BYTES,
} from '#crypto/index.ts'
import { randomKey } from '#crypto/primitives.ts'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { expectCryptoErrorAsync } from './helpers.ts'

beforeAll(async () => {
  await initCrypto()
})

const chunkBytes = 1024

describe('attachments (secretstream)', () => {
  it('round-trips any file, split in any pieces (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 5000 }), fc.integer({ min: 1, max: 3000 }), async (file, pieceSize) => {
        const key = deriveAttachmentKey({ noteKey: randomKey(), attachmentIndex: 0 })
        const pieces = Array.from({ length: Math.ceil(file.length / pieceSize) }, (_, index) => file.subarray(index * pieceSize, (index + 1) * pieceSize))
        const encrypted: Uint8Array[] = []
        for await (const part of encryptAttachment({ source: pieces, key, chunkBytes })) encrypted.push(part)
        const total = encrypted.reduce((sum, part) => sum + part.length, 0)
        // Whole chunks only: the size leaks a multiple of the chunk size, nothing finer.
        expect((total - ATTACHMENT_HEADER_BYTES) % (chunkBytes + 17)).toBe(0)
        const decrypted: Uint8Array[] = []
        for await (const part of decryptAttachment({ source: encrypted, key })) decrypted.push(part)
        const joined = new Uint8Array(decrypted.reduce((sum, part) => sum + part.length, 0))
        let offset = 0
        for (const part of decrypted) {
          joined.set(part, offset)
          offset += part.length
        }
        expect(joined).toEqual(file)
      }),
      { numRuns: 40 },
    )
  })

  it('detects truncation, reordering, bit flips, extra data and the wrong key', async () => {
    const key = randomKey()
    const file = new Uint8Array(4500).map((_, index) => index % 251)
    const encrypted = await encryptAttachmentBytes({ bytes: file, key, chunkBytes })
    const chunk = chunkBytes + 17
    const header = encrypted.subarray(0, ATTACHMENT_HEADER_BYTES)
    const chunks = Array.from({ length: (encrypted.length - ATTACHMENT_HEADER_BYTES) / chunk }, (_, index) => encrypted.subarray(ATTACHMENT_HEADER_BYTES + index * chunk, ATTACHMENT_HEADER_BYTES + (index + 1) * chunk))
    expect(chunks).toHaveLength(5)
    const join = (parts: Uint8Array[]) => {
      const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
      let offset = 0
      for (const part of parts) {
        out.set(part, offset)
        offset += part.length
      }
      return out
    }
    expect(await decryptAttachmentBytes({ bytes: encrypted, key })).toEqual(file)
    await expectCryptoErrorAsync(() => decryptAttachmentBytes({ bytes: join([header, ...chunks.slice(0, 4)]), key }), 'stream_truncated')
    await expectCryptoErrorAsync(() => decryptAttachmentBytes({ bytes: encrypted.subarray(0, encrypted.length - 5), key }), 'stream_truncated')
    await expectCryptoErrorAsync(() => decryptAttachmentBytes({ bytes: join([header, chunks[1]!, chunks[0]!, ...chunks.slice(2)]), key }), 'decryption_failed')
    await expectCryptoErrorAsync(() => decryptAttachmentBytes({ bytes: join([encrypted, chunks[4]!]), key }), 'bad_length')
    await expectCryptoErrorAsync(() => decryptAttachmentBytes({ bytes: encrypted, key: randomKey() }), 'decryption_failed')
    for (let index = 0; index < encrypted.length; index += 97) {
      const flipped = encrypted.slice()
      flipped[index] = (flipped[index] as number) ^ 1
      await expectCryptoErrorAsync(() => decryptAttachmentBytes({ bytes: flipped, key }))
    }
    await expectCryptoErrorAsync(() => decryptAttachmentBytes({ bytes: Uint8Array.of(1, 0, 0), key }), 'bad_length')
    await expectCryptoErrorAsync(() => decryptAttachmentBytes({ bytes: Uint8Array.from([9, ...encrypted.subarray(1)]), key }), 'unknown_version')
  })

  it('streams a 10 MB file chunk by chunk with progress, never holding a whole copy', async () => {
    const size = 10 * 1024 * 1024
    const key = randomKey()
    let produced = 0
    async function* source() {
      // Odd piece sizes, generated on the fly: the file never exists in memory as a whole.
      for (let offset = 0; offset < size; offset += 300_001) {
        const piece = new Uint8Array(Math.min(300_001, size - offset)).fill(offset % 255)
        produced += piece.length
        yield piece
      }
    }
    const progress: number[] = []
    let largestPiece = 0
    let ciphertextBytes = 0
    const encrypted = encryptAttachment({ source: source(), key, totalBytes: size, onProgress: ({ processedBytes }) => progress.push(processedBytes) })
    let decryptedBytes = 0
    let checksum = 0
    async function* tee() {
      for await (const part of encrypted) {
        largestPiece = Math.max(largestPiece, part.length)
        ciphertextBytes += part.length
        yield part
      }
    }
    for await (const plain of decryptAttachment({ source: tee(), key })) {
      decryptedBytes += plain.length
      checksum = (checksum + (plain[0] ?? 0)) % 65536
    }
    expect(produced).toBe(size)
    expect(decryptedBytes).toBe(size)
    expect(checksum).toBeGreaterThan(0)
    expect(largestPiece).toBeLessThanOrEqual(64 * 1024 + 17)
    expect(ciphertextBytes).toBeGreaterThan(size)
    expect(progress.at(-1)).toBe(size)
    expect(progress.every((value, index) => index === 0 || value >= (progress[index - 1] as number))).toBe(true)
    expect(progress.length).toBeGreaterThan(150)
  })
})
