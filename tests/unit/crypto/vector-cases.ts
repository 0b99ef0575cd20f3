/**
 * Golden vectors: fixed keys and a fixed random stream (crypto/testing.ts) → fixed bytes for
 * every format. Shared by the Node test, the Chromium test and the generator; no vitest, no Node APIs.
 */
import * as lib from '../../../crypto/index.ts'
import { unwrapKey, wrapKey } from '../../../crypto/key-wrap.ts'
import { boxKeyPairFromSeed, signingKeyPairFromSeed } from '../../../crypto/primitives.ts'
import { openKeySealedToMember } from '../../../crypto/sealed-key.ts'
import { sodium } from '../../../crypto/sodium.ts'
import { withDeterministicRandomness } from '../../../crypto/testing.ts'

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

/** Every nonce, note key and sealed-box ephemeral drawn inside `fn` comes from a stream named by `label`. */
function fixedRandomness<Result>(label: string, fn: () => Result): Result {
  return withDeterministicRandomness(seed(`randomness-${label}`), fn)
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
const situationKey = () => lib.situationKeyFrom({ layer: 'pseudonymised', key: seed('situation-key'), keyEpoch: 0 })
const nominativeKey = () => lib.situationKeyFrom({ layer: 'nominative', key: seed('nominative-key'), keyEpoch: 0 })
const medicalKey = () => lib.situationKeyFrom({ layer: 'medical', key: seed('medical-key'), keyEpoch: 0 })
const INTAKE_NOT_AFTER = 1_798_761_600_000
const intakeKeys = (): lib.IntakeKeys => lib.intakeKeysFromSeed({ cellId, index: 0, notAfterMs: INTAKE_NOT_AFTER, seed: seed('intake-seed') })
const nextIntakeKeys = (): lib.IntakeKeys => lib.intakeKeysFromSeed({ cellId, index: 1, notAfterMs: INTAKE_NOT_AFTER + 1_000, seed: seed('intake-seed-1') })
/** The roster head a seal names (review §2b). */
const sealAnchor = () => ({ rosterSeq: 3, rosterHeadHash: seed('roster-head-seal') })
const aliceRecipient = () => ({ memberId: 'alice', role: 'member' as const, boxPublicKey: alice().box.publicKey })
const founderSigner = () => ({ memberId: 'founder', signSecretKey: founder().signing.secretKey })
const replySecret = () => seed('reply-code', 16)
const noteContext = { cellId, situationId: 'situation-42', noteId: 'note-7', revision: 2 }
const noteProvenance = () => ({
  rosterSeq: 5,
  rosterHeadHash: seed('roster-head'),
  cellEpoch: 1,
  situationLogSeq: 17,
  prevRevisionHash: seed('note-revision-1'),
  createdAtMs: 1_767_225_600_000,
})
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
        byPassword: b64(fixedRandomness('uak-password', () => lib.wrapAccountKeyForPassword({ userId: 'user-alice', accountKey: seed('uak'), keyEncryptionKey: seed('kek') }))),
        byRecovery: b64(fixedRandomness('uak-recovery', () => lib.wrapAccountKeyForRecovery({ userId: 'user-alice', accountKey: seed('uak'), recoverySecret: seed('recovery', 16) }))),
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
        wrappedSecrets: b64(fixedRandomness('identity', () => lib.wrapIdentitySecrets({ userId: 'user-alice', identity: alice(), accountKey: seed('uak') }))),
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
      outputs: { wrapped: b64(fixedRandomness('generic', () => wrapKey({ key: seed('generic-key'), wrappingKey: seed('generic-wrapping'), purpose: 'situation_key', context: [cellId, 'situation-42', 0, 1] }))) },
    }),
    open: (record) => expectEqual(b64(unwrapKey({ wrapped: output(record, 'wrapped'), wrappingKey: seed('generic-wrapping'), purpose: 'situation_key', context: [cellId, 'situation-42', 0, 1] })), record.inputs.key, 'unwrap'),
  },
  {
    name: 'cell_epoch_key',
    compute: () => ({
      inputs: { cellKey: b64(cellKey()), previousCellKey: b64(seed('cell-key-epoch-0')), indexKey: b64(seed('index-key')), previousIndexKey: b64(seed('index-key-epoch-0')), recipient: 'alice', coordinator: 'founder', epoch: '1', rosterSeq: String(sealAnchor().rosterSeq), rosterHeadHash: b64(sealAnchor().rosterHeadHash) },
      outputs: {
        keyId: b64(lib.keyId(cellKey())),
        commitment: b64(lib.keyCommitment(cellKey())),
        indexCommitment: b64(lib.keyCommitment(seed('index-key'))),
        sealedToAlice: b64(fixedRandomness('cell-epoch', () => lib.sealRosterKey({ kind: 'cell_epoch', cellId, epoch: 1, key: cellKey(), recipient: aliceRecipient(), signer: founderSigner(), anchor: sealAnchor() }))),
        indexSealedToAlice: b64(fixedRandomness('index', () => lib.sealRosterKey({ kind: 'index', cellId, epoch: 1, key: seed('index-key'), recipient: aliceRecipient(), signer: founderSigner(), anchor: sealAnchor() }))),
        chainedPrevious: b64(fixedRandomness('chain', () => lib.chainPreviousEpochKey({ cellId, epoch: 1, cellKey: cellKey(), previousCellKey: seed('cell-key-epoch-0') }))),
        chainedPreviousIndex: b64(fixedRandomness('index-chain', () => lib.chainPreviousIndexKey({ cellId, epoch: 1, indexKey: seed('index-key'), previousIndexKey: seed('index-key-epoch-0') }))),
      },
    }),
    open: (record) => {
      const open = (kind: 'cell_epoch' | 'index', wrap: string, commitment: string) => {
        const opened = openKeySealedToMember({ wrap, context: { kind, keyEpoch: 1, cellId, situationId: '' }, recipient: { memberId: 'alice', box: alice().box }, signerId: 'founder', signerPublicKey: founder().signing.publicKey, expectedCommitment: lib.fromBase64Url(commitment) })
        expectEqual(b64(opened.rosterHeadHash), record.inputs.rosterHeadHash, `${kind} seal anchor`)
        return opened.key
      }
      const opened = open('cell_epoch', output(record, 'sealedToAlice'), output(record, 'commitment'))
      expectEqual(b64(opened), record.inputs.cellKey, 'sealed open')
      expectEqual(b64(lib.openPreviousEpochKey({ cellId, epoch: 1, cellKey: opened, chained: output(record, 'chainedPrevious') })), record.inputs.previousCellKey, 'chain')
      const index = open('index', output(record, 'indexSealedToAlice'), output(record, 'indexCommitment'))
      expectEqual(b64(index), record.inputs.indexKey, 'index key')
      const earlier = lib.openEarlierIndexKeys({ cellId, epoch: 1, indexKey: index, chain: new Map([[1, output(record, 'chainedPreviousIndex')]]) })
      expectEqual(b64(earlier.get(0) ?? new Uint8Array(0)), record.inputs.previousIndexKey, 'index chain')
    },
  },
  {
    name: 'situation_keys',
    compute: () => ({
      inputs: { situationKey: b64(seed('situation-key')), nominativeKey: b64(seed('nominative-key')), medicalKey: b64(seed('medical-key')), cellKey: b64(cellKey()) },
      outputs: {
        situationKeyId: b64(situationKey().keyId),
        nominativeKeyId: b64(nominativeKey().keyId),
        medicalKeyId: b64(medicalKey().keyId),
        wrappedUnderCellKey: b64(fixedRandomness('situation', () => lib.wrapSituationKey({ cellId, situationId: 'situation-42', situationKey: situationKey(), cellKey: cellKey(), cellEpoch: 1 }))),
        nominativeSealedToAlice: b64(fixedRandomness('nominative', () => lib.sealNominativeKey({ cellId, situationId: 'situation-42', nominativeKey: nominativeKey(), recipient: aliceRecipient(), author: founderSigner(), anchor: sealAnchor() }))),
        medicalSealedToAlice: b64(fixedRandomness('medical', () => lib.sealMedicalKey({ cellId, situationId: 'situation-42', medicalKey: medicalKey(), recipient: { memberId: 'alice', role: 'member', boxPublicKey: alice().box.publicKey, healthProfessional: true }, author: founderSigner(), anchor: sealAnchor() }))),
      },
    }),
    open: (record) => {
      expectEqual(b64(lib.openSituationKey({ cellId, situationId: 'situation-42', keyEpoch: 0, cellKey: cellKey(), cellEpoch: 1, wrapped: output(record, 'wrappedUnderCellKey') }).key), record.inputs.situationKey, 'situation key')
      const sealedBy = { recipient: { memberId: 'alice', box: alice().box }, authorId: 'founder', authorSignPublicKey: founder().signing.publicKey, cellId, situationId: 'situation-42', keyEpoch: 0 }
      expectEqual(b64(lib.openNominativeKey({ ...sealedBy, wrap: output(record, 'nominativeSealedToAlice'), expectedCommitment: lib.keyCommitment(seed('nominative-key')) }).key), record.inputs.nominativeKey, 'nominative key')
      expectEqual(b64(lib.openMedicalKey({ ...sealedBy, wrap: output(record, 'medicalSealedToAlice'), expectedCommitment: lib.keyCommitment(seed('medical-key')) }).key), record.inputs.medicalKey, 'medical key')
    },
  },
  {
    name: 'note_envelope',
    compute: () => ({
      inputs: {
        ...Object.fromEntries(Object.entries(noteContext).map(([key, value]) => [key, String(value)])),
        rosterSeq: String(noteProvenance().rosterSeq),
        rosterHeadHash: b64(noteProvenance().rosterHeadHash),
        cellEpoch: String(noteProvenance().cellEpoch),
        situationLogSeq: String(noteProvenance().situationLogSeq),
        prevRevisionHash: b64(noteProvenance().prevRevisionHash),
        createdAtMs: String(noteProvenance().createdAtMs),
        body: b64(noteBody),
        author: 'alice',
        layer: 'nominative',
      },
      outputs: {
        envelope: b64(fixedRandomness('note', () => lib.sealNote({ context: noteContext, provenance: noteProvenance(), layer: 'nominative', author: { memberId: 'alice', signSecretKey: alice().signing.secretKey }, situationKey: nominativeKey(), body: noteBody }))),
      },
    }),
    open: (record) => {
      const authorKeyAt = (id: string, rosterSeq: number) => (id === 'alice' && rosterSeq === 5 ? alice().signing.publicKey : undefined)
      const opened = lib.openAndVerifyNote({ envelope: output(record, 'envelope'), expected: { ...noteContext, layer: 'nominative' }, situationKeys: [situationKey(), nominativeKey()], authorKeyAt })
      expectEqual(b64(opened.body), record.inputs.body, 'note body')
      expectEqual(opened.verification, 'verified', 'note signature')
      expectEqual(b64(opened.header.rosterHeadHash), record.inputs.rosterHeadHash, 'note roster head')
    },
  },
  {
    name: 'intake',
    compute: () => {
      const intake = lib.intakePublicOf(intakeKeys())
      const successor = lib.intakePublicOf(nextIntakeKeys())
      return {
        inputs: { seed: b64(seed('intake-seed')), nextSeed: b64(seed('intake-seed-1')), notAfterMs: String(INTAKE_NOT_AFTER) },
        outputs: {
          publicBundle: b64(lib.encodeIntakePublic(intake)),
          fingerprint: lib.intakeFingerprint(intake),
          seedCommitment: b64(lib.keyCommitment(seed('intake-seed'))),
          seedSealedToFounder: b64(fixedRandomness('intake', () => lib.sealRosterKey({ kind: 'intake', cellId, epoch: 0, key: seed('intake-seed'), recipient: { memberId: 'founder', role: 'coordinator', boxPublicKey: founder().box.publicKey }, signer: founderSigner(), anchor: sealAnchor() }))),
          successorBundle: b64(lib.encodeIntakePublic(successor)),
          successorSignature: b64(lib.signIntakeSuccessor({ predecessor: intakeKeys(), successor })),
        },
      }
    },
    open: (record) => {
      const opened = openKeySealedToMember({ wrap: output(record, 'seedSealedToFounder'), context: { kind: 'intake', keyEpoch: 0, cellId, situationId: '' }, recipient: { memberId: 'founder', box: founder().box }, signerId: 'founder', signerPublicKey: founder().signing.publicKey, expectedCommitment: lib.fromBase64Url(output(record, 'seedCommitment')) })
      expectEqual(b64(opened.key), record.inputs.seed, 'intake seed')
      const keys = lib.intakeKeysFromSeed({ cellId, index: 0, notAfterMs: Number(record.inputs.notAfterMs), seed: opened.key })
      const bundle = lib.parseIntakePublic(output(record, 'publicBundle'))
      expectEqual(b64(keys.box.publicKey), b64(bundle.boxPublicKey), 'intake box key from seed')
      lib.assertIntakeFingerprint({ intake: bundle, fingerprint: output(record, 'fingerprint') })
      const latest = lib.followIntakeChain({
        fingerprint: output(record, 'fingerprint'),
        chain: [{ bundle: output(record, 'publicBundle'), predecessorSignature: undefined }, { bundle: output(record, 'successorBundle'), predecessorSignature: output(record, 'successorSignature') }],
        nowMs: 1_767_225_600_000,
      })
      expectEqual(String(latest.index), '1', 'intake chain')
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
          sealedReferral: b64(fixedRandomness('referral', () => lib.sealReferral({ referral, intake: lib.intakePublicOf(intakeKeys()), replyPublicKey: credentials.replyKeyPair.publicKey }))),
          sealedFeedback: b64(fixedRandomness('feedback', () => lib.sealFeedback({ feedback: { referralId: 'saisine-3', cellId, createdAtMs: 1_767_312_000_000, body: lib.utf8('Orientation : CCAS et médecin traitant.') }, replyPublicKey: credentials.replyKeyPair.publicKey, intake: intakeKeys() }))),
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
      const rotate = lib.createRosterLink({ state, author: { memberId: 'founder', signSecretKey: founder().signing.secretKey }, createdAtMs: 1_767_225_602_000, payload: { type: 'rotate_epoch', epoch: 0, keyCommitment: lib.keyCommitment(cellKey()), recipientIds: ['alice', 'founder'], indexKeyCommitment: lib.keyCommitment(seed('index-key')), indexRecipientIds: ['alice', 'founder'] } })
      state = lib.extendRoster({ state, links: [rotate] })
      const intake = lib.intakePublicOf(intakeKeys())
      const publish = lib.createRosterLink({ state, author: founderSigner(), createdAtMs: 1_767_225_603_000, payload: { type: 'publish_intake_key', index: 0, boxPublicKey: intake.boxPublicKey, signPublicKey: intake.signPublicKey, notAfterMs: intake.notAfterMs, seedCommitment: lib.keyCommitment(seed('intake-seed')), triageIds: ['founder'], predecessorSignature: new Uint8Array(0) } })
      state = lib.extendRoster({ state, links: [publish] })
      const code = lib.rosterCode(state)
      const attest = lib.createRosterLink({ state, author: { memberId: 'alice', signSecretKey: alice().signing.secretKey }, createdAtMs: 1_767_225_604_000, payload: { type: 'verification_attestation', attestedSeq: state.securityHeadSeq, attestedHash: state.securityHeadHash } })
      state = lib.extendRoster({ state, links: [attest] })
      return {
        inputs: { founder: 'founder', member: 'alice' },
        outputs: { genesis: b64(genesis), addMember: b64(add), rotateEpoch: b64(rotate), publishIntakeKey: b64(publish), rosterCode: code, attestation: b64(attest), pinHash: lib.rosterPin(state).hash },
      }
    },
    open: (record) => {
      const links = [output(record, 'genesis'), output(record, 'addMember'), output(record, 'rotateEpoch'), output(record, 'publishIntakeKey')]
      expectEqual(lib.rosterCode(lib.validateRoster({ cellId, links })), output(record, 'rosterCode'), 'roster code')
      // The code covers the security head: the attestation that follows does not change it.
      const attested = lib.validateRoster({ cellId, links: [...links, output(record, 'attestation')], pin: { seq: 4, hash: output(record, 'pinHash') } })
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
    format: 'cellule-crypto-vectors/v2',
    description:
      'Golden vectors for crypto/ (blobs version 1, note envelopes version 2, layer key ids v2). Random draws come from crypto/testing.ts withDeterministicRandomness, seeded per vector. Generated once by tests/scripts/generate-crypto-vectors.ts and committed; tests recompute and compare byte for byte.',
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
