/**
 * Golden vectors: fixed keys, nonces and ephemeral keys → fixed bytes for every format.
 * Shared by the Node test, the Chromium test and the generator; no vitest, no Node APIs.
 */
import * as lib from '../../../crypto/index.ts'
import { unwrapKey, wrapKey } from '../../../crypto/key-wrap.ts'
import { boxKeyPairFromSeed, signingKeyPairFromSeed, type BoxKeyPair } from '../../../crypto/primitives.ts'
import { sodium } from '../../../crypto/sodium.ts'

export type VectorRecord = { inputs: Record<string, string>; outputs: Record<string, string> }
export type VectorFile = { format: string; description: string; vectors: Record<string, VectorRecord> }
export type VectorResult = { name: string; ok: boolean; detail: string }

const b64 = lib.toBase64Url
const cellId = 'cellule-sevran'

function seed(label: string, length = 32): Uint8Array {
  return sodium.crypto_generichash(length, lib.utf8(`cellule-test-vector/${label}`), null)
}

function identity(name: string): lib.IdentityKeys {
  return { signing: signingKeyPairFromSeed(seed(`${name}-sign`)), box: boxKeyPairFromSeed(seed(`${name}-box`)) }
}

function ephemeral(label: string): BoxKeyPair {
  return boxKeyPairFromSeed(seed(`ephemeral-${label}`))
}

function nonce(label: string): Uint8Array {
  return seed(`nonce-${label}`, 24)
}

type DeterministicCase = {
  name: string
  compute: () => VectorRecord
  /** Opens the committed bytes and checks the plaintext, independently of recomputation. */
  open?: (record: VectorRecord) => void
}

function expectEqual(actual: string, expected: string | undefined, what: string): void {
  if (actual !== expected) throw new Error(`${what}: got ${actual.slice(0, 40)}…, expected ${String(expected).slice(0, 40)}…`)
}

function output(record: VectorRecord, key: string): string {
  const value = record.outputs[key]
  if (value === undefined) throw new Error(`missing output ${key}`)
  return value
}

const alice = () => identity('alice')
const founder = () => identity('founder')
const cellKey = () => seed('cell-key-epoch-1')
const situationKey = () => lib.situationKeyFrom({ key: seed('situation-key'), keyEpoch: 0 })
const intakeKeys = (): lib.IntakeKeys => ({ cellId, index: 0, box: boxKeyPairFromSeed(seed('intake-box')), signing: signingKeyPairFromSeed(seed('intake-sign')) })
const replySecret = () => seed('reply-code', 16)
const noteContext = { cellId, situationId: 'situation-42', noteId: 'note-7', revision: 2 }
const noteBody = lib.utf8('Visite à domicile : Mme D. dit ne plus gérer ses comptes ; son neveu a une procuration.')
const floorParams = () => ({ algorithm: 'argon2id13', opsLimit: 3, memLimitBytes: 64 * 1024 * 1024, saltSeed: b64(seed('salt-seed')) })

export const deterministicCases: DeterministicCase[] = [
  {
    name: 'recovery_code',
    compute: () => ({ inputs: { secret: b64(seed('recovery', 16)) }, outputs: { code: lib.recoveryCodeFromSecret(seed('recovery', 16)).code } }),
    open: (record) => expectEqual(b64(lib.parseRecoveryCode(output(record, 'code'))), record.inputs.secret, 'parse'),
  },
  {
    name: 'account_argon2id_floor',
    compute: () => {
      const secrets = lib.deriveAccountSecrets({ password: 'correct horse battery staple', email: ' Alice.Martin@Example.FR', kdfParams: floorParams() })
      return {
        inputs: { password: 'correct horse battery staple', email: ' Alice.Martin@Example.FR', saltSeed: floorParams().saltSeed, opsLimit: '3', memLimitBytes: String(floorParams().memLimitBytes) },
        outputs: {
          salt: b64(lib.passwordSalt({ saltSeed: seed('salt-seed'), email: 'alice.martin@example.fr' })),
          keyEncryptionKey: b64(secrets.keyEncryptionKey),
          authSecret: b64(secrets.authSecret),
        },
      }
    },
  },
  {
    name: 'account_key_wraps',
    compute: () => ({
      inputs: { userId: 'user-alice', accountKey: b64(seed('uak')), keyEncryptionKey: b64(seed('kek')), recoverySecret: b64(seed('recovery', 16)) },
      outputs: {
        byPassword: b64(lib.wrapAccountKeyForPassword({ userId: 'user-alice', accountKey: seed('uak'), keyEncryptionKey: seed('kek'), nonce: nonce('uak-password') })),
        byRecovery: b64(lib.wrapAccountKeyForRecovery({ userId: 'user-alice', accountKey: seed('uak'), recoverySecret: seed('recovery', 16), nonce: nonce('uak-recovery') })),
      },
    }),
    open: (record) => {
      expectEqual(b64(lib.unlockAccountKey({ userId: 'user-alice', keyEncryptionKey: seed('kek'), wrappedAccountKey: output(record, 'byPassword') })), record.inputs.accountKey, 'password unwrap')
      const code = lib.recoveryCodeFromSecret(seed('recovery', 16)).code
      expectEqual(b64(lib.recoverAccountKey({ userId: 'user-alice', recoveryCode: code, wrappedAccountKey: output(record, 'byRecovery') })), record.inputs.accountKey, 'recovery unwrap')
    },
  },
  {
    name: 'identity',
    compute: () => ({
      inputs: { userId: 'user-alice', signSeed: b64(seed('alice-sign')), boxSeed: b64(seed('alice-box')), accountKey: b64(seed('uak')) },
      outputs: {
        publicBundle: b64(lib.encodeIdentityPublic({ userId: 'user-alice', identity: alice() })),
        wrappedSecrets: b64(lib.wrapIdentitySecrets({ userId: 'user-alice', identity: alice(), accountKey: seed('uak'), nonce: nonce('identity') })),
        fingerprint: b64(lib.publicKeyFingerprint({ signPublicKey: alice().signing.publicKey, boxPublicKey: alice().box.publicKey })),
      },
    }),
    open: (record) => {
      expectEqual(b64(lib.openIdentityPublic(output(record, 'publicBundle')).boxPublicKey), b64(alice().box.publicKey), 'public bundle')
      expectEqual(b64(lib.unwrapIdentitySecrets({ userId: 'user-alice', wrapped: output(record, 'wrappedSecrets'), accountKey: seed('uak') }).signing.secretKey), b64(alice().signing.secretKey), 'secrets')
    },
  },
  {
    name: 'key_wrap_generic',
    compute: () => ({
      inputs: { key: b64(seed('generic-key')), wrappingKey: b64(seed('generic-wrapping')), purpose: 'situation_key', context: 'cellule-sevran,situation-42,0,1' },
      outputs: { wrapped: b64(wrapKey({ key: seed('generic-key'), wrappingKey: seed('generic-wrapping'), purpose: 'situation_key', context: [cellId, 'situation-42', 0, 1], nonce: nonce('generic') })) },
    }),
    open: (record) => expectEqual(b64(unwrapKey({ wrapped: output(record, 'wrapped'), wrappingKey: seed('generic-wrapping'), purpose: 'situation_key', context: [cellId, 'situation-42', 0, 1] })), record.inputs.key, 'unwrap'),
  },
  {
    name: 'cell_epoch_key',
    compute: () => ({
      inputs: { cellKey: b64(cellKey()), previousCellKey: b64(seed('cell-key-epoch-0')), recipient: 'alice', coordinator: 'founder', epoch: '1' },
      outputs: {
        keyId: b64(lib.keyId(cellKey())),
        commitment: b64(lib.keyCommitment(cellKey())),
        sealedToAlice: b64(lib.sealCellEpochKey({ cellId, epoch: 1, cellKey: cellKey(), recipient: { memberId: 'alice', role: 'member', boxPublicKey: alice().box.publicKey }, coordinator: { memberId: 'founder', signSecretKey: founder().signing.secretKey }, ephemeral: ephemeral('cell-epoch') })),
        chainedPrevious: b64(lib.chainPreviousEpochKey({ cellId, epoch: 1, cellKey: cellKey(), previousCellKey: seed('cell-key-epoch-0'), nonce: nonce('chain') })),
        wrappedIndexKey: b64(lib.wrapCellIndexKey({ cellId, epoch: 1, cellKey: cellKey(), indexKey: seed('index-key'), nonce: nonce('index') })),
      },
    }),
    open: (record) => {
      const opened = lib.openCellEpochKey({ wrap: output(record, 'sealedToAlice'), cellId, epoch: 1, recipient: { memberId: 'alice', box: alice().box }, coordinatorId: 'founder', coordinatorSignPublicKey: founder().signing.publicKey, expectedCommitment: lib.fromBase64Url(output(record, 'commitment')) })
      expectEqual(b64(opened), record.inputs.cellKey, 'sealed open')
      expectEqual(b64(lib.openPreviousEpochKey({ cellId, epoch: 1, cellKey: opened, chained: output(record, 'chainedPrevious') })), record.inputs.previousCellKey, 'chain')
    },
  },
  {
    name: 'situation_keys',
    compute: () => ({
      inputs: { situationKey: b64(seed('situation-key')), nominativeKey: b64(seed('nominative-key')), cellKey: b64(cellKey()) },
      outputs: {
        wrappedUnderCellKey: b64(lib.wrapSituationKey({ cellId, situationId: 'situation-42', situationKey: situationKey(), cellKey: cellKey(), cellEpoch: 1, nonce: nonce('situation') })),
        nominativeSealedToAlice: b64(lib.sealNominativeKey({ cellId, situationId: 'situation-42', nominativeKey: lib.situationKeyFrom({ key: seed('nominative-key'), keyEpoch: 0 }), recipient: { memberId: 'alice', role: 'member', boxPublicKey: alice().box.publicKey }, author: { memberId: 'founder', signSecretKey: founder().signing.secretKey }, ephemeral: ephemeral('nominative') })),
      },
    }),
    open: (record) => {
      expectEqual(b64(lib.openSituationKey({ cellId, situationId: 'situation-42', keyEpoch: 0, cellKey: cellKey(), cellEpoch: 1, wrapped: output(record, 'wrappedUnderCellKey') }).key), record.inputs.situationKey, 'situation key')
      expectEqual(b64(lib.openNominativeKey({ wrap: output(record, 'nominativeSealedToAlice'), cellId, situationId: 'situation-42', keyEpoch: 0, recipient: { memberId: 'alice', box: alice().box }, authorId: 'founder', authorSignPublicKey: founder().signing.publicKey }).key), record.inputs.nominativeKey, 'nominative key')
    },
  },
  {
    name: 'note_envelope',
    compute: () => ({
      inputs: { ...Object.fromEntries(Object.entries(noteContext).map(([key, value]) => [key, String(value)])), body: b64(noteBody), noteKey: b64(seed('note-key')), author: 'alice', layer: 'nominative' },
      outputs: {
        envelope: b64(lib.sealNote({ context: noteContext, layer: 'nominative', author: { memberId: 'alice', signSecretKey: alice().signing.secretKey }, situationKey: situationKey(), body: noteBody, randomness: { noteKey: seed('note-key'), noteKeyNonce: nonce('note-key'), bodyNonce: nonce('note-body') } })),
      },
    }),
    open: (record) => {
      const opened = lib.openAndVerifyNote({ envelope: output(record, 'envelope'), expected: { ...noteContext, layer: 'nominative' }, situationKeys: [situationKey()], authorSignPublicKey: (id) => (id === 'alice' ? alice().signing.publicKey : undefined) })
      expectEqual(b64(opened.body), record.inputs.body, 'note body')
      expectEqual(opened.verification, 'verified', 'note signature')
    },
  },
  {
    name: 'intake',
    compute: () => {
      const intake = lib.intakePublicOf(intakeKeys())
      return {
        inputs: { boxSeed: b64(seed('intake-box')), signSeed: b64(seed('intake-sign')), cellKey: b64(cellKey()) },
        outputs: {
          publicBundle: b64(lib.encodeIntakePublic(intake)),
          fingerprint: lib.intakeFingerprint(intake),
          wrappedSecrets: b64(lib.wrapIntakeSecrets({ keys: intakeKeys(), cellKey: cellKey(), cellEpoch: 1, nonce: nonce('intake') })),
        },
      }
    },
    open: (record) => {
      const opened = lib.openIntakeSecrets({ cellId, index: 0, cellKey: cellKey(), cellEpoch: 1, wrapped: output(record, 'wrappedSecrets') })
      expectEqual(b64(opened.box.publicKey), b64(intakeKeys().box.publicKey), 'intake secrets')
      lib.assertIntakeFingerprint({ intake: lib.parseIntakePublic(output(record, 'publicBundle')), fingerprint: output(record, 'fingerprint') })
    },
  },
  {
    name: 'referral_and_feedback',
    compute: () => {
      const credentials = lib.deriveReplyCredentials(replySecret())
      const referral = { referralId: 'saisine-3', cellId, createdAtMs: 1_767_225_600_000, content: lib.utf8('{"rpps":"10001234565","typologie":["financiere"]}') }
      return {
        inputs: { replyCode: lib.replyCodeFromSecret(replySecret()), content: b64(referral.content) },
        outputs: {
          replyPublicKey: b64(credentials.replyKeyPair.publicKey),
          fetchTokenHash: b64(credentials.fetchTokenHash),
          sealedReferral: b64(lib.sealReferral({ referral, intake: lib.intakePublicOf(intakeKeys()), replyPublicKey: credentials.replyKeyPair.publicKey, ephemeral: ephemeral('referral') })),
          sealedFeedback: b64(lib.sealFeedback({ feedback: { referralId: 'saisine-3', cellId, createdAtMs: 1_767_312_000_000, body: lib.utf8('Orientation : CCAS et médecin traitant.') }, replyPublicKey: credentials.replyKeyPair.publicKey, intake: intakeKeys(), ephemeral: ephemeral('feedback') })),
        },
      }
    },
    open: (record) => {
      const opened = lib.openReferral({ sealedReferral: output(record, 'sealedReferral'), intake: intakeKeys(), expected: { cellId, referralId: 'saisine-3' } })
      expectEqual(b64(opened.content), record.inputs.content, 'referral content')
      const feedback = lib.openFeedback({ sealedFeedback: output(record, 'sealedFeedback'), replyCode: record.inputs.replyCode ?? '', expected: { referralId: 'saisine-3', cellId }, intakeSignPublicKey: intakeKeys().signing.publicKey })
      expectEqual(lib.fromUtf8(feedback.body), 'Orientation : CCAS et médecin traitant.', 'feedback body')
    },
  },
  {
    name: 'roster',
    compute: () => {
      const genesis = lib.createGenesisLink({ cellId, founder: { memberId: 'founder', signPublicKey: founder().signing.publicKey, signSecretKey: founder().signing.secretKey, boxPublicKey: founder().box.publicKey }, createdAtMs: 1_767_225_600_000 })
      let state = lib.validateRoster({ cellId, links: [genesis] })
      const add = lib.createRosterLink({ state, author: { memberId: 'founder', signSecretKey: founder().signing.secretKey }, createdAtMs: 1_767_225_601_000, payload: { type: 'add_member', memberId: 'alice', role: 'member', signPublicKey: alice().signing.publicKey, boxPublicKey: alice().box.publicKey } })
      state = lib.extendRoster({ state, links: [add] })
      const rotate = lib.createRosterLink({ state, author: { memberId: 'founder', signSecretKey: founder().signing.secretKey }, createdAtMs: 1_767_225_602_000, payload: { type: 'rotate_epoch', epoch: 0, keyCommitment: lib.keyCommitment(cellKey()), recipientIds: ['alice', 'founder'] } })
      state = lib.extendRoster({ state, links: [rotate] })
      const code = lib.rosterCode(state)
      const attest = lib.createRosterLink({ state, author: { memberId: 'alice', signSecretKey: alice().signing.secretKey }, createdAtMs: 1_767_225_603_000, payload: { type: 'verification_attestation', attestedSeq: state.securityHeadSeq, attestedHash: state.securityHeadHash } })
      state = lib.extendRoster({ state, links: [attest] })
      return {
        inputs: { founder: 'founder', member: 'alice' },
        outputs: { genesis: b64(genesis), addMember: b64(add), rotateEpoch: b64(rotate), rosterCode: code, attestation: b64(attest), pinHash: lib.rosterPin(state).hash },
      }
    },
    open: (record) => {
      const links = [output(record, 'genesis'), output(record, 'addMember'), output(record, 'rotateEpoch')]
      expectEqual(lib.rosterCode(lib.validateRoster({ cellId, links })), output(record, 'rosterCode'), 'roster code')
      // The code covers the security head: the attestation that follows does not change it.
      const attested = lib.validateRoster({ cellId, links: [...links, output(record, 'attestation')], pin: { seq: 3, hash: output(record, 'pinHash') } })
      expectEqual(lib.rosterCode(attested), output(record, 'rosterCode'), 'roster code after an attestation')
    },
  },
  {
    name: 'invitation_sas',
    compute: () => {
      const invitation = { cellId, secret: seed('invitation', 16), code: lib.recoveryCodeFromSecret(seed('invitation', 16)).code }
      const newcomer = { memberId: 'alice', signPublicKey: alice().signing.publicKey, boxPublicKey: alice().box.publicKey }
      const answer = lib.answerInvitation({ cellId, invitationCode: invitation.code, newcomer, coordinatorSignPublicKey: founder().signing.publicKey })
      return { inputs: { invitationCode: invitation.code }, outputs: { proof: answer.proof, sas: answer.sas } }
    },
    open: (record) => {
      const invitation = { cellId, secret: seed('invitation', 16), code: record.inputs.invitationCode ?? '' }
      const newcomer = { memberId: 'alice', signPublicKey: alice().signing.publicKey, boxPublicKey: alice().box.publicKey }
      expectEqual(lib.checkInvitationAnswer({ invitation, newcomer, coordinatorSignPublicKey: founder().signing.publicKey, proof: output(record, 'proof') }).sas, output(record, 'sas'), 'sas')
    },
  },
  {
    name: 'blind_index',
    compute: () => ({
      inputs: { indexKey: b64(seed('index-key')), name: 'DUPONT Hélène', birthDate: '1938-04-02' },
      outputs: { index: lib.blindIndex({ indexKey: seed('index-key'), name: 'DUPONT Hélène', birthDate: '1938-04-02' }) },
    }),
  },
]

/** secretstream draws its own header nonce: this vector is generated once and only opened. */
export const attachmentVector = {
  name: 'attachment_stream',
  key: () => lib.deriveAttachmentKey({ noteKey: seed('note-key'), attachmentIndex: 0 }),
  plaintext: () => Uint8Array.from({ length: 2500 }, (_, index) => (index * 7) % 256),
  chunkBytes: 1024,
}

export async function generateVectors(): Promise<VectorFile> {
  await lib.initCrypto()
  const vectors: Record<string, VectorRecord> = {}
  for (const vectorCase of deterministicCases) vectors[vectorCase.name] = vectorCase.compute()
  const ciphertext = await lib.encryptAttachmentBytes({ bytes: attachmentVector.plaintext(), key: attachmentVector.key(), chunkBytes: attachmentVector.chunkBytes })
  vectors[attachmentVector.name] = { inputs: { key: b64(attachmentVector.key()), plaintext: b64(attachmentVector.plaintext()) }, outputs: { ciphertext: b64(ciphertext) } }
  return {
    format: 'cellule-crypto-vectors/v1',
    description: 'Golden vectors for crypto/ (format version 1). Generated once by tests/scripts/generate-crypto-vectors.ts and committed; tests recompute and compare byte for byte.',
    vectors,
  }
}

function sameRecord(a: VectorRecord, b: VectorRecord | undefined): string | undefined {
  if (!b) return 'missing in fixture'
  for (const section of ['inputs', 'outputs'] as const) {
    const keys = new Set([...Object.keys(a[section]), ...Object.keys(b[section])])
    for (const key of keys) {
      if (a[section][key] !== b[section][key]) return `${section}.${key} differs`
    }
  }
  return undefined
}

/** Recomputes every deterministic vector, compares byte for byte, then opens the committed bytes. */
export async function checkVectors(file: VectorFile): Promise<VectorResult[]> {
  await lib.initCrypto()
  const results: VectorResult[] = []
  for (const vectorCase of deterministicCases) {
    try {
      const mismatch = sameRecord(vectorCase.compute(), file.vectors[vectorCase.name])
      if (mismatch) throw new Error(mismatch)
      vectorCase.open?.(file.vectors[vectorCase.name] as VectorRecord)
      results.push({ name: vectorCase.name, ok: true, detail: 'recomputed and opened' })
    } catch (error) {
      results.push({ name: vectorCase.name, ok: false, detail: error instanceof Error ? error.message : String(error) })
    }
  }
  try {
    const record = file.vectors[attachmentVector.name]
    if (!record) throw new Error('missing in fixture')
    const plaintext = await lib.decryptAttachmentBytes({ bytes: lib.fromBase64Url(output(record, 'ciphertext')), key: attachmentVector.key() })
    expectEqual(b64(plaintext), b64(attachmentVector.plaintext()), 'attachment plaintext')
    expectEqual(record.inputs.key ?? '', b64(attachmentVector.key()), 'attachment key')
    results.push({ name: attachmentVector.name, ok: true, detail: 'opened' })
  } catch (error) {
    results.push({ name: attachmentVector.name, ok: false, detail: error instanceof Error ? error.message : String(error) })
  }
  const known = new Set([...deterministicCases.map((vectorCase) => vectorCase.name), attachmentVector.name])
  for (const name of Object.keys(file.vectors)) {
    if (!known.has(name)) results.push({ name, ok: false, detail: 'vector in fixture has no check' })
  }
  return results
}
