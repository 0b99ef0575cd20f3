/**
 * npm run bench:crypto — figures for DESIGN §13, written to bench/results/crypto-latest.json
 * and a dated copy. Not a test: it reports, it does not fail on a budget.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import * as lib from '../crypto/index.ts'
import { measureArgon2id, measureOpenVerify } from './crypto-workload.ts'
import { measureInChromium } from './crypto-browser.ts'

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

/** A cell of `members`, each situation with 3 nominative participants, the removed one in 1 of 3. */
function rotationScenario({ members, situations }: { members: number; situations: number }) {
  const founder = lib.generateIdentityKeys()
  let state = lib.validateRoster({
    cellId: 'cell-bench',
    links: [lib.createGenesisLink({ cellId: 'cell-bench', founder: { memberId: 'founder', signPublicKey: founder.signing.publicKey, signSecretKey: founder.signing.secretKey, boxPublicKey: founder.box.publicKey }, createdAtMs: 0 })],
  })
  const coordinator = { memberId: 'founder', signSecretKey: founder.signing.secretKey }
  const links: Uint8Array[] = []
  for (let index = 1; index < members; index++) {
    const identity = lib.generateIdentityKeys()
    links.push(lib.createRosterLink({ state, author: coordinator, createdAtMs: index, payload: { type: 'add_member', memberId: `m${index}`, role: 'member', signPublicKey: identity.signing.publicKey, boxPublicKey: identity.box.publicKey } }))
    state = lib.extendRoster({ state, links: [links.at(-1) as Uint8Array] })
  }
  const epoch0 = lib.createCellEpochKey()
  const index0 = lib.createCellEpochKey()
  state = lib.extendRoster({
    state,
    links: [lib.createRosterLink({ state, author: coordinator, createdAtMs: members, payload: { type: 'rotate_epoch', epoch: 0, keyCommitment: epoch0.commitment, recipientIds: lib.epochRecipients(state), indexKeyCommitment: index0.commitment, indexRecipientIds: lib.indexRecipients(state) } })],
  })
  const situationAccess = Array.from({ length: situations }, (_, index) => ({
    situationId: `s${index}`,
    keyEpoch: 0,
    nominativeKeyEpoch: 0,
    participantIds: [`m${1 + (index % (members - 1))}`, `m${1 + ((index + 1) % (members - 1))}`, 'founder'],
  }))
  return { state, coordinator, situationAccess, current: { cellKey: epoch0.key, indexKey: index0.key, intake: undefined } }
}

function measureRotation({ members, situations, rounds }: { members: number; situations: number; rounds: number }) {
  const scenario = rotationScenario({ members, situations })
  const planTimes: number[] = []
  const totalTimes: number[] = []
  let operations = 0
  for (let round = 0; round < rounds; round++) {
    const start = performance.now()
    const plan = lib.planRotation({ state: scenario.state, change: { type: 'remove_member', memberId: 'm1' }, situations: scenario.situationAccess })
    const planned = performance.now()
    lib.executeRotationPlan({ plan, state: scenario.state, coordinator: scenario.coordinator, current: scenario.current, createdAtMs: 1 })
    totalTimes.push(performance.now() - start)
    planTimes.push(planned - start)
    operations = plan.operations.length
  }
  return { members, situations, operations, ms: median(totalTimes), planMs: median(planTimes) }
}

await lib.initCrypto()
const openVerify500 = await measureOpenVerify({ count: 500, bodyBytes: 2048 })
const argon2id = await measureArgon2id()
const rotationMain = measureRotation({ members: 30, situations: 200, rounds: 5 })
const bySize = [
  { members: 10, situations: 50 },
  { members: 30, situations: 100 },
  { members: 30, situations: 200 },
  { members: 30, situations: 400 },
  { members: 60, situations: 200 },
  { members: 60, situations: 400 },
].map((size) => measureRotation({ ...size, rounds: 1 }))
const browser = await measureInChromium()

const result = {
  generatedAt: new Date().toISOString(),
  environment: { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown' },
  openVerify500: {
    ms: openVerify500.ms,
    ratioToRawPrimitives: openVerify500.ratioToRawPrimitives,
    rawPrimitivesMs: openVerify500.rawMs,
    openOnlyMs: openVerify500.openOnlyMs,
    notes: 500,
    bodyBytes: 2048,
    rounds: openVerify500.rounds,
    goal: 'ratioToRawPrimitives >= 0.8',
  },
  rotation: {
    ms: rotationMain.ms,
    planMs: rotationMain.planMs,
    operations: rotationMain.operations,
    members: 30,
    situations: 200,
    note: 'remove one member: plan + execute (new epoch sealed to remaining members, new SK per situation, new nominative key where a participant, new intake pair)',
    operationsFormula:
      '1 change link + 1 epoch key + (members - 1) seals + 1 chain + 1 index rewrap + 1 rotate link + 2 x situations + (1 + remaining participants) x situations the member took part in + 3 intake = O(members + situations)',
    bySize,
  },
  argon2id: { ...argon2id, goal: 'browser <= 1000 ms' },
  browser,
}

const json = `${JSON.stringify(result, null, 2)}\n`
const directory = new URL('./results/', import.meta.url)
mkdirSync(directory, { recursive: true })
writeFileSync(new URL('crypto-latest.json', directory), json)
writeFileSync(new URL(`crypto-${result.generatedAt.slice(0, 10)}.json`, directory), json)
process.stdout.write(json)
