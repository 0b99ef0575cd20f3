import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

/**
 * Dependencies point one way (DESIGN §3): consumers (server, scripts, bench, tests) → app → db →
 * the pure cores (crypto, charter, the journal core). Every import of every .ts/.tsx file is
 * resolved with the compiler's own resolution (tsconfig, package.json `imports` aliases, relative
 * paths), type-only imports included: a type is a dependency too. Template-string imports (the
 * server loading build/) are not dependencies of the source and are not seen.
 */

const root = path.resolve(import.meta.dirname, '../../..')

type Layer = 'crypto' | 'charter' | 'journal' | 'db' | 'app' | 'server' | 'scripts' | 'bench' | 'tools' | 'tests'

/** Longest prefix wins. */
const LAYER_FOLDERS: ReadonlyArray<readonly [string, Layer]> = [
  ['crypto/', 'crypto'],
  ['charter/', 'charter'],
  ['journal/', 'journal'],
  ['db/', 'db'],
  ['app/', 'app'],
  ['server/', 'server'],
  ['scripts/', 'scripts'],
  ['bench/', 'bench'],
  ['tools/', 'tools'],
  ['tests/', 'tests'],
]

/** What a layer may import besides itself. */
const ALLOWED: Record<Layer, readonly Layer[]> = {
  crypto: [],
  charter: [],
  // Charter types only (checked below): the core verifies offline, with nothing of the app around it.
  journal: ['charter'],
  db: ['crypto', 'charter', 'journal'],
  app: ['db', 'crypto', 'charter', 'journal'],
  // server/demo founds the demo cell through the browser's own modules (decision 016).
  server: ['app', 'db', 'crypto', 'charter', 'journal'],
  // Nothing from app/: a command that needs the browser's code paths goes through server/ (the demo does).
  scripts: ['server', 'db', 'crypto', 'charter', 'journal'],
  // Never scripts/: importing a command runs it.
  bench: ['app', 'server', 'db', 'crypto', 'charter', 'journal', 'tools'],
  // Shared by tests and bench, so neither reaches into the other.
  tools: [],
  tests: ['app', 'server', 'scripts', 'db', 'crypto', 'charter', 'journal', 'bench', 'tools'],
}

const TYPE_ONLY: ReadonlyArray<readonly [Layer, Layer]> = [['journal', 'charter']]
/** …except the one canonical JSON, which the journal's leaves and the charter's hash share (decision 017). */
const VALUE_EXCEPTIONS: ReadonlySet<string> = new Set(['charter/canonical-json.ts'])

/** Folders that hold no TypeScript of ours, or only generated files. */
const NOT_SCANNED = new Set(['node_modules', 'build', 'public', 'docs'])

type Edge = { from: string; to: string; typeOnly: boolean }

function layerOf(file: string): Layer | undefined {
  let best: readonly [string, Layer] | undefined
  for (const entry of LAYER_FOLDERS) if (file.startsWith(entry[0]) && (!best || entry[0].length > best[0].length)) best = entry
  return best?.[1]
}

const isServerOnly = (file: string) => /\.server\.tsx?$/.test(file)
// Remix strips loader and action from route modules in the browser build, and the server-only imports with them.
const isRouteModule = (file: string) => file.startsWith('app/routes/') || file === 'app/root.tsx'

/** One line per import against the direction, naming the rule it breaks. */
function edgesAgainstTheDirection(edges: readonly Edge[]): string[] {
  const problems: string[] = []
  for (const { from, to, typeOnly } of edges) {
    const source = layerOf(from)
    const target = layerOf(to)
    const line = `${from} -> ${to}`
    if (!source || !target) {
      problems.push(`${line}: outside every layer (add the folder to LAYER_FOLDERS)`)
      continue
    }
    if (source !== target && !ALLOWED[source].includes(target)) {
      problems.push(`${line}: ${source} may import ${ALLOWED[source].join(', ') || 'nothing of ours'}`)
      continue
    }
    if (!typeOnly && !VALUE_EXCEPTIONS.has(to) && TYPE_ONLY.some(([a, b]) => a === source && b === target)) problems.push(`${line}: ${source} may import ${target} types only`)
    if (source === 'app' && !typeOnly && !isServerOnly(from) && !isRouteModule(from) && from !== 'app/entry.server.tsx' && (isServerOnly(to) || target === 'db')) {
      problems.push(`${line}: a module the browser loads imports server-only code (rename it *.server.ts or import types only)`)
    }
    // A type from another route (`typeof loader` for useRouteLoaderData) is fine; its code is not.
    if (!typeOnly && from.startsWith('app/routes/') && to.startsWith('app/routes/')) problems.push(`${line}: no route imports another route (move what they share to a module)`)
  }
  return problems
}

/** Strongly connected components of more than one file, or a file importing itself (Tarjan). */
function importCycles(edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>()
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to])
  const index = new Map<string, number>()
  const lowLink = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const cycles: string[][] = []
  const visit = (file: string) => {
    index.set(file, index.size)
    lowLink.set(file, index.get(file) as number)
    stack.push(file)
    onStack.add(file)
    for (const target of next.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target)
        lowLink.set(file, Math.min(lowLink.get(file) as number, lowLink.get(target) as number))
      } else if (onStack.has(target)) {
        lowLink.set(file, Math.min(lowLink.get(file) as number, index.get(target) as number))
      }
    }
    if (lowLink.get(file) !== index.get(file)) return
    const component: string[] = []
    let member: string
    do {
      member = stack.pop() as string
      onStack.delete(member)
      component.push(member)
    } while (member !== file)
    if (component.length > 1 || next.get(file)?.includes(file)) cycles.push(component.sort())
  }
  for (const file of next.keys()) if (!index.has(file)) visit(file)
  return cycles
}

function sourceFiles(): string[] {
  const files: string[] = []
  const walk = (directory: string) => {
    for (const entry of readdirSync(path.join(root, directory), { withFileTypes: true })) {
      const relative = directory ? `${directory}/${entry.name}` : entry.name
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.') && !NOT_SCANNED.has(entry.name) && !relative.endsWith('bench/results')) walk(relative)
      } else if (directory && /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        files.push(relative)
      }
    }
  }
  walk('')
  return files.sort()
}

function specifiersOf(file: string): Array<{ specifier: string; typeOnly: boolean }> {
  const text = readFileSync(path.join(root, file), 'utf8')
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS)
  const found: Array<{ specifier: string; typeOnly: boolean }> = []
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause
      const bindings = clause?.namedBindings
      // `import { type A, type B }` is erased like `import type { A, B }`.
      const onlyInlineTypes = !!clause && !clause.name && !!bindings && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every(element => element.isTypeOnly)
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: !!clause?.isTypeOnly || onlyInlineTypes })
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.exportClause
      const onlyInlineTypes = !!clause && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every(element => element.isTypeOnly)
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly || onlyInlineTypes })
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      found.push({ specifier: node.moduleReference.expression.text, typeOnly: node.isTypeOnly })
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false })
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

function importGraph(files: readonly string[]): { edges: Edge[]; unresolved: string[] } {
  const config = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile)
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root)
  const cache = ts.createModuleResolutionCache(root, name => name, options)
  const edges: Edge[] = []
  const unresolved: string[] = []
  for (const file of files) {
    for (const { specifier, typeOnly } of specifiersOf(file)) {
      const resolved = ts.resolveModuleName(specifier, path.join(root, file), options, ts.sys, cache).resolvedModule
      const ours = specifier.startsWith('.') || specifier.startsWith('#')
      if (!resolved) {
        if (ours) unresolved.push(`${file} -> ${specifier}`)
        continue
      }
      if (resolved.isExternalLibraryImport) continue
      const target = path.relative(root, resolved.resolvedFileName).split(path.sep).join('/')
      if (target.startsWith('..') || target.startsWith('node_modules/')) continue
      edges.push({ from: file, to: target, typeOnly })
    }
  }
  return { edges, unresolved }
}

describe('imports follow the direction of DESIGN §3, with no cycle', () => {
  const files = sourceFiles()
  const { edges, unresolved } = importGraph(files)

  it('scans every folder of ours, each one a layer', () => {
    expect(files.length).toBeGreaterThan(200)
    expect(files.filter(file => !layerOf(file))).toEqual([])
    for (const [folder] of LAYER_FOLDERS) if (existsSync(path.join(root, folder))) expect(files.some(file => file.startsWith(folder)), folder).toBe(true)
  })

  it('resolves every alias and relative import', () => {
    expect(unresolved).toEqual([])
    // Both kinds are seen: an alias (#server/*) and a relative path.
    expect(edges).toContainEqual({ from: 'scripts/seed-demo.ts', to: 'server/demo/seed.ts', typeOnly: false })
    expect(edges).toContainEqual({ from: 'server/index.ts', to: 'server/app.ts', typeOnly: false })
  })

  it('has no import against the direction', () => {
    expect(edgesAgainstTheDirection(edges)).toEqual([])
  })

  it('has no cycle between files', () => {
    expect(importCycles(edges)).toEqual([])
  })

  it('catches what it is meant to catch', () => {
    const edge = (from: string, to: string, typeOnly = false): Edge => ({ from, to, typeOnly })
    expect(
      edgesAgainstTheDirection([
        edge('db/cells.ts', 'server/config.ts', true),
        edge('bench/crypto-browser.ts', 'tests/support/chromium.ts'),
        edge('crypto/notes.ts', 'charter/policy.ts'),
        edge('journal/leaf.ts', 'charter/actions.ts'),
        edge('app/components/forms.tsx', 'app/auth/session.server.ts'),
        edge('app/cells/cell-client.ts', 'db/cells.ts'),
        edge('app/routes/a.tsx', 'app/routes/b.tsx'),
        edge('misc/thing.ts', 'db/cells.ts'),
      ]).map(problem => problem.split(':')[0]),
    ).toEqual([
      'db/cells.ts -> server/config.ts',
      'bench/crypto-browser.ts -> tests/support/chromium.ts',
      'crypto/notes.ts -> charter/policy.ts',
      'journal/leaf.ts -> charter/actions.ts',
      'app/components/forms.tsx -> app/auth/session.server.ts',
      'app/cells/cell-client.ts -> db/cells.ts',
      'app/routes/a.tsx -> app/routes/b.tsx',
      'misc/thing.ts -> db/cells.ts',
    ])
    expect(
      edgesAgainstTheDirection([
        edge('journal/leaf.ts', 'charter/actions.ts', true),
        edge('app/audit/labels.ts', 'db/audit-log/leaf.ts', true),
        edge('app/routes/_index.tsx', 'app/auth/session.server.ts'),
        edge('app/root.tsx', 'db/database.ts'),
        edge('app/routes/b.tsx', 'app/routes/a.tsx', true),
        edge('scripts/seed-demo.ts', 'server/demo/seed.ts'),
      ]),
    ).toEqual([])
    expect(importCycles([edge('a.ts', 'b.ts'), edge('b.ts', 'c.ts'), edge('c.ts', 'a.ts'), edge('c.ts', 'd.ts'), edge('e.ts', 'e.ts')])).toEqual([['a.ts', 'b.ts', 'c.ts'], ['e.ts']])
  })
})
