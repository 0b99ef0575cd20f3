import { z } from 'zod'
import { ByteReader, ByteWriter } from './encoding.ts'
import { CryptoFormatError, CryptoVerificationError } from './errors.ts'
import { FORMAT_VERSION, KEY_BYTES, parseInput } from './formats.ts'
import { sodium } from './sodium.ts'

export const DEFAULT_CHUNK_BYTES = 64 * 1024
const STREAM_HEADER_BYTES = 24
const CHUNK_OVERHEAD_BYTES = 17
const PREFIX_BYTES = 5
export const ATTACHMENT_HEADER_BYTES = PREFIX_BYTES + STREAM_HEADER_BYTES

const chunkSizeSchema = z.number().int().min(1024).max(4 * 1024 * 1024)

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>
export type AttachmentProgress = { processedBytes: number; totalBytes: number | undefined }

/** One key per attachment, derived from the note key so sharing a note shares its files. */
export function deriveAttachmentKey({ noteKey, attachmentIndex }: { noteKey: Uint8Array; attachmentIndex: number }): Uint8Array {
  return sodium.crypto_kdf_derive_from_key(KEY_BYTES, attachmentIndex + 1, 'cellattc', noteKey)
}

/** Reads exact-size chunks from any stream of pieces; holds one piece and one chunk at a time. */
class ExactReader {
  private readonly iterator: AsyncIterator<Uint8Array> | Iterator<Uint8Array>
  private current: Uint8Array = new Uint8Array(0)
  private offset = 0

  constructor(source: ByteSource) {
    this.iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]()
  }

  /** Exactly `length` bytes, or fewer only when the source is exhausted. */
  async read(length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length)
    let filled = 0
    while (filled < length) {
      if (this.offset >= this.current.length) {
        const next = await this.iterator.next()
        if (next.done) break
        this.current = next.value
        this.offset = 0
        continue
      }
      const take = Math.min(length - filled, this.current.length - this.offset)
      out.set(this.current.subarray(this.offset, this.offset + take), filled)
      filled += take
      this.offset += take
    }
    return filled === length ? out : out.subarray(0, filled)
  }
}

/**
 * Stream v1: `0x01 | chunkSize u32 | secretstream header(24)`, then chunks of exactly
 * chunkSize + 17 bytes; the last one (TAG_FINAL) carries ISO 7816-4 padding, so every
 * file is a whole number of chunks and truncation is detected.
 */
export async function* encryptAttachment({
  source,
  key,
  totalBytes,
  onProgress,
  chunkBytes = DEFAULT_CHUNK_BYTES,
}: {
  source: ByteSource
  key: Uint8Array
  totalBytes?: number
  onProgress?: (progress: AttachmentProgress) => void
  chunkBytes?: number
}): AsyncGenerator<Uint8Array> {
  const chunkSize = parseInput({ schema: chunkSizeSchema, input: chunkBytes, name: 'Taille de bloc' })
  const prefix = new ByteWriter().u8(FORMAT_VERSION).u32(chunkSize).finish()
  const { state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(key)
  yield new ByteWriter().bytes(prefix).bytes(header).finish()
  const reader = new ExactReader(source)
  let processedBytes = 0
  for (let final = false; !final; ) {
    const chunk = await reader.read(chunkSize)
    final = chunk.length < chunkSize
    const plaintext = final ? sodium.pad(chunk, chunkSize) : chunk
    const tag = final
      ? sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
      : sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
    yield sodium.crypto_secretstream_xchacha20poly1305_push(state, plaintext, prefix, tag)
    processedBytes += chunk.length
    onProgress?.({ processedBytes, totalBytes })
  }
}

/**
 * Yields plaintext chunk by chunk. Each chunk is authenticated, but the stream is only
 * complete when the generator returns: a truncated stream throws at the end, so callers
 * must not hand the file to the user before completion.
 */
export async function* decryptAttachment({
  source,
  key,
  totalBytes,
  onProgress,
}: {
  source: ByteSource
  key: Uint8Array
  totalBytes?: number
  onProgress?: (progress: AttachmentProgress) => void
}): AsyncGenerator<Uint8Array> {
  const ciphertext = new ExactReader(source)
  const headerBytes = await ciphertext.read(ATTACHMENT_HEADER_BYTES)
  const reader = new ByteReader(headerBytes)
  reader.version(FORMAT_VERSION)
  const chunkSize = parseInput({ schema: chunkSizeSchema, input: reader.u32(), name: 'Taille de bloc' })
  const streamHeader = reader.bytes(STREAM_HEADER_BYTES)
  const prefix = headerBytes.subarray(0, PREFIX_BYTES)
  const state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(streamHeader, key)
  let processedBytes = 0
  let finished = false
  for (;;) {
    const chunk = await ciphertext.read(chunkSize + CHUNK_OVERHEAD_BYTES)
    if (chunk.length === 0) break
    if (finished) {
      throw new CryptoFormatError({ code: 'bad_length', message: 'Pièce jointe : données après la fin.' })
    }
    if (chunk.length !== chunkSize + CHUNK_OVERHEAD_BYTES) {
      throw new CryptoVerificationError({ code: 'stream_truncated', message: 'Pièce jointe tronquée.' })
    }
    let pulled: { message: Uint8Array; tag: number } | false
    try {
      pulled = sodium.crypto_secretstream_xchacha20poly1305_pull(state, chunk, prefix)
    } catch {
      pulled = false
    }
    if (!pulled) {
      throw new CryptoVerificationError({ code: 'decryption_failed', message: 'Pièce jointe altérée.' })
    }
    if (pulled.tag === sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
      finished = true
      let plaintext: Uint8Array
      try {
        plaintext = sodium.unpad(pulled.message, chunkSize)
      } catch {
        throw new CryptoFormatError({ code: 'malformed', message: 'Pièce jointe : remplissage invalide.' })
      }
      processedBytes += plaintext.length
      onProgress?.({ processedBytes, totalBytes })
      yield plaintext
    } else if (pulled.tag === sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) {
      processedBytes += pulled.message.length
      onProgress?.({ processedBytes, totalBytes })
      yield pulled.message
    } else {
      throw new CryptoVerificationError({ code: 'decryption_failed', message: 'Pièce jointe : étiquette inattendue.' })
    }
  }
  if (!finished) throw new CryptoVerificationError({ code: 'stream_truncated', message: 'Pièce jointe tronquée.' })
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let length = 0
  for await (const part of stream) {
    parts.push(part)
    length += part.length
  }
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/** Convenience for small files and tests; large files should stay streamed. */
export function encryptAttachmentBytes({ bytes, key, chunkBytes }: { bytes: Uint8Array; key: Uint8Array; chunkBytes?: number }): Promise<Uint8Array> {
  return collect(encryptAttachment({ source: [bytes], key, totalBytes: bytes.length, chunkBytes }))
}

export function decryptAttachmentBytes({ bytes, key }: { bytes: Uint8Array; key: Uint8Array }): Promise<Uint8Array> {
  return collect(decryptAttachment({ source: [bytes], key }))
}
