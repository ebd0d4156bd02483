import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, test } from 'vitest'

// Every public export of every package, values and types alike (read from the built dist/index.d.ts, which is what a
// user's editor sees), must be named in that package's README, so that the docs cannot silently fall behind the code.
// `node scripts/api-reference.mjs` regenerates each README's "API reference" list from the doc comments.
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const packages = readdirSync(join(ROOT, 'packages'))
  .map((name) => ({ name, entry: join(ROOT, 'packages', name, 'dist', 'index.d.ts'), readme: join(ROOT, 'packages', name, 'README.md') }))
  .filter(({ entry }) => existsSync(entry))

function exportNames(entries: readonly string[]): string[][] {
  const program = ts.createProgram([...entries], { skipLibCheck: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext })
  const checker = program.getTypeChecker()
  return entries.map((entry) => {
    const file = program.getSourceFile(entry)
    const module = file === undefined ? undefined : checker.getSymbolAtLocation(file)
    if (module === undefined) throw new Error(`cannot read the exports of ${entry}`)
    return checker.getExportsOfModule(module).map((symbol) => symbol.name)
  })
}

const names = exportNames(packages.map((p) => p.entry))

describe('each package README names every public export', () => {
  test('every package is built (pnpm test builds first)', () => {
    expect(packages.map((p) => p.name)).toEqual(expect.arrayContaining(['auditrail', 'core', 'cli', 'sink-json', 'sink-csv', 'sink-none', 'replay', 'report', 'grpc', 'testkit', 'sink-postgres']))
  })

  for (const [i, pkg] of packages.entries()) {
    test(pkg.name, () => {
      expect(existsSync(pkg.readme), `${pkg.name} has a README.md`).toBe(true)
      const readme = readFileSync(pkg.readme, 'utf8')
      const exported = names[i] ?? []
      expect(exported.length).toBeGreaterThan(0)
      const missing = exported.filter((name) => !new RegExp(`(?<![\\w$])${name.replaceAll('$', '\\$')}(?![\\w$])`).test(readme))
      expect(missing, `not named in packages/${pkg.name}/README.md (run node scripts/api-reference.mjs after a build)`).toEqual([])
    })
  }
})
