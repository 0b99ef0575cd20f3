import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { projectRoot } from '#tests/support/app-process.ts'

/**
 * Static proof (issue 6, DESIGN §11) that every route module touching cell data goes through the
 * guard that decides with the charter policy and writes the audit event in the same transaction:
 * each exported loader and action must reach a guard call, directly or through functions of its
 * own module. The few routes without a guard are listed with the reason they hold no cell data,
 * and may not import cell queries beyond the public directory.
 */
const ROUTES_DIR = path.join(projectRoot, 'app', 'routes')
const GUARDS = ['requireCellPermission', 'requireSituationPermission', 'requirePlatformPermission', 'requireSignedInActor', 'withPublicAction'] as const

const UNGUARDED: Record<string, string> = {
  _index: 'public home: the public directory of cells (name, communes) that a referring doctor needs',
  $: '404 catch-all',
  healthz: 'health check, no data',
  accessibilite: 'static legal page',
  'mentions-legales': 'static legal page',
  connexion: 'login page (audited by api.auth.*: auth.login, auth.mfa)',
  deconnexion: 'logout (audited: auth.session.revoked)',
  'compte._index': 'the user’s own account and sessions, no cell data',
  'compte.double-authentification': 'the user’s own second factor (audited: auth.mfa.enrolled)',
  'compte.mot-de-passe': 'the user’s own password (audited: auth.password.changed)',
  'invitation._index': 'account registration page, no loader: the token stays in the fragment (audited: account.registered, account.invitation.refused)',
  'invitation.$token': 'links issued before the fragment: a redirect to /invitation#token, no data',
  'mot-de-passe-oublie': 'account recovery page (audited: auth.recovered)',
  'api.auth.login': 'authentication (audited: auth.login)',
  'api.auth.password': 'password change (audited)',
  'api.auth.pre-login': 'login parameters, no account data for unknown addresses',
  'api.auth.recover': 'recovery (audited: auth.recovered)',
  'api.auth.recovery-parameters': 'recovery parameters',
  'api.auth.register': 'registration (audited: account.registered)',
  'api.auth.invitation': 'what registration needs of a one-time account link, looked up by its token (the credential); no cell data',
  'api.auth.totp': 'second factor (audited: auth.mfa)',
  'api.session': 'session keep-alive and end',
  'api.account.keys': 'the user’s own wrapped keys, never a cell’s',
}

// The journal's queries read cell data; its write entry point (db/journal/record.ts) does not.
const CELL_DATA_IMPORTS = /from '#db\/(cells|journal\/(?!record\.ts')[^']*|schema)\.ts'|from '#app\/journal\//

type Handler = { name: 'loader' | 'action'; reachesGuard: boolean; postOnly: boolean }

function analyse(file: string): Handler[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS)
  const localFunctions = new Map<string, ts.Node>()
  const exported: { name: 'loader' | 'action'; node: ts.Node }[] = []
  const isExported = (node: ts.Node) => ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword)
  for (const statement of source.statements) {
    if (ts.isFunctionDeclaration(statement) && statement.name) {
      localFunctions.set(statement.name.text, statement)
      if (isExported(statement) && (statement.name.text === 'loader' || statement.name.text === 'action')) exported.push({ name: statement.name.text, node: statement })
    }
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (!ts.isIdentifier(declaration.name) || !declaration.initializer) continue
        localFunctions.set(declaration.name.text, declaration.initializer)
        if (isExported(statement) && (declaration.name.text === 'loader' || declaration.name.text === 'action')) exported.push({ name: declaration.name.text, node: declaration.initializer })
      }
    }
  }
  const reaches = (node: ts.Node, seen: Set<string>): boolean => {
    let found = false
    const visit = (child: ts.Node) => {
      if (found) return
      if (ts.isCallExpression(child) && ts.isIdentifier(child.expression)) {
        const callee = child.expression.text
        if ((GUARDS as readonly string[]).includes(callee)) {
          found = true
          return
        }
        const local = localFunctions.get(callee)
        if (local && !seen.has(callee)) {
          seen.add(callee)
          if (reaches(local, seen)) {
            found = true
            return
          }
        }
      }
      ts.forEachChild(child, visit)
    }
    visit(node)
    return found
  }
  return exported.map(({ name, node }) => ({ name, reachesGuard: reaches(node, new Set()), postOnly: ts.isIdentifier(node) && (node.text === 'postOnly' || node.text === 'getOnly') }))
}

const SERVER_ONLY_JOURNAL = /^#(db\/)?journal\/(?!actions\.ts$|record\.ts$)/

/**
 * The value imports a page module sends to the browser, through the app modules it imports that
 * are not `*.server.ts` (Remix empties those in the browser build); type-only imports are erased.
 */
function browserImports(entry: string): { from: string; specifier: string }[] {
  const found: { from: string; specifier: string }[] = []
  const seen = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS)
    for (const statement of source.statements) {
      if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue
      const clause = statement.importClause
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined
      const typeOnly = clause?.isTypeOnly || (clause && !clause.name && named && named.length > 0 && named.every(element => element.isTypeOnly))
      if (typeOnly) continue
      const specifier = statement.moduleSpecifier.text
      found.push({ from: file, specifier })
      const target = specifier.startsWith('#app/') ? path.join(projectRoot, 'app', specifier.slice('#app/'.length)) : specifier.startsWith('.') ? path.resolve(path.dirname(file), specifier) : null
      if (target && !/\.server\.tsx?$/.test(target)) visit(target)
    }
  }
  visit(entry)
  return found
}

const routeFiles = readdirSync(ROUTES_DIR).filter((file) => /\.tsx?$/.test(file))

describe('every route touching cell data goes through the audited guard', () => {
  it('finds the route modules', () => {
    expect(routeFiles.length).toBeGreaterThan(30)
  })

  for (const file of routeFiles) {
    const route = file.replace(/\.tsx?$/, '')
    const handlers = analyse(path.join(ROUTES_DIR, file))
    if (route in UNGUARDED) {
      it(`${route}: no guard needed (${UNGUARDED[route]}), and no cell data imported`, () => {
        const text = readFileSync(path.join(ROUTES_DIR, file), 'utf8')
        const imports = text.split('\n').filter((line) => CELL_DATA_IMPORTS.test(line))
        const offending = imports.filter((line) => {
          // The public home may read the public directory, and nothing else of the cells.
          if (route === '_index' && /import \{ listCellDirectory \} from '#db\/cells\.ts'/.test(line)) return false
          if (/from '#db\/schema\.ts'/.test(line)) return /\b(cells|memberships|cell\w+|roster\w+|audit\w+|charter\w+)\b/.test(line)
          return true
        })
        expect(offending).toEqual([])
      })
      continue
    }
    it(`${route}: ${handlers.map((handler) => handler.name).join(' and ') || 'no handler'} reach a guard`, () => {
      expect(handlers.length, 'a route with cell data must export a loader or an action').toBeGreaterThan(0)
      for (const handler of handlers) {
        expect(handler.reachesGuard || handler.postOnly, `${route} ${handler.name} does not call ${GUARDS.join(' / ')}`).toBe(true)
      }
    })
  }

  it('page modules, and the browser modules they import, import no server-only journal code (it would break the page in the browser)', () => {
    // db/journal/ and the journal core (journal/) use node:crypto and Buffer at load time; pages reach them through *.server.ts.
    // Allowed: the vocabulary (zod only) and the write entry point (called from actions only, and free of load-time crypto).
    const offending = routeFiles
      .filter(file => file.endsWith('.tsx'))
      .flatMap(file => browserImports(path.join(ROUTES_DIR, file)).filter(({ specifier }) => SERVER_ONLY_JOURNAL.test(specifier)))
      .map(({ from, specifier }) => `${path.relative(projectRoot, from)}: ${specifier}`)
    expect([...new Set(offending)]).toEqual([])
  })

  it('the browser-import walk sees through the journal feature folder', () => {
    const walked = browserImports(path.join(ROUTES_DIR, 'cellules.$cellId.journal._index.tsx')).map(({ specifier }) => specifier)
    expect(walked).toContain('#app/journal/components/alert-list.tsx')
    expect(walked).toContain('#journal/actions.ts')
    expect(walked.some(specifier => specifier.endsWith('.server.ts') && SERVER_ONLY_JOURNAL.test(specifier))).toBe(false)
  })

  it('the analysis itself catches a handler without a guard', () => {
    const probe = path.join(projectRoot, 'tests', 'security', 'fixtures', 'unguarded-route.ts')
    expect(analyse(probe)).toEqual([
      { name: 'loader', reachesGuard: false, postOnly: false },
      { name: 'action', reachesGuard: true, postOnly: false },
    ])
  })
})
