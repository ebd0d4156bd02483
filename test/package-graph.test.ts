import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The workspace's package graph, read from the manifests themselves: a cycle makes `pnpm install` warn and
// `pnpm -r build` refuse to run, and a CLI framework in the library's closure is weight every library user installs.

const root = fileURLToPath(new URL('..', import.meta.url))

interface Manifest {
  readonly name: string
  readonly dependencies?: Readonly<Record<string, string>>
  readonly optionalDependencies?: Readonly<Record<string, string>>
  readonly devDependencies?: Readonly<Record<string, string>>
  readonly peerDependencies?: Readonly<Record<string, string>>
}

const readManifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest

const workspace = new Map<string, { dir: string; manifest: Manifest }>(
  [...readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name)), join(root, 'examples')]
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => {
      const manifest = readManifest(dir)
      return [manifest.name, { dir, manifest }] as const
    }),
)

/** Every workspace package another one names, in any of its dependency fields (a dev cycle breaks `pnpm -r` too). */
function workspaceEdges(manifest: Manifest): string[] {
  const all = { ...manifest.dependencies, ...manifest.optionalDependencies, ...manifest.devDependencies, ...manifest.peerDependencies }
  return Object.keys(all).filter((name) => workspace.has(name))
}

/** A cycle of the workspace graph as a path `a → b → a`, or `undefined` (depth-first search, three colours). */
function findCycle(): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined
    if (state.get(name) === 'open') return [...stack.slice(stack.indexOf(name)), name]
    state.set(name, 'open')
    stack.push(name)
    for (const next of workspaceEdges(workspace.get(name)!.manifest)) {
      const cycle = visit(next)
      if (cycle !== undefined) return cycle
    }
    stack.pop()
    state.set(name, 'done')
    return undefined
  }
  for (const name of workspace.keys()) {
    const cycle = visit(name)
    if (cycle !== undefined) return cycle
  }
  return undefined
}

/** Node's lookup of an installed package from `fromDir`: `node_modules/<name>` in it or any parent, symlinks resolved (pnpm's store). */
function resolveInstalled(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate)
    if (dirname(dir) === dir) return undefined
  }
}

/** Names of every package a production install of `name` brings: dependencies and optional ones, transitively. */
function productionClosure(name: string): Set<string> {
  const seen = new Set<string>()
  const walk = (pkg: string, fromDir: string): void => {
    if (seen.has(pkg)) return
    seen.add(pkg)
    // An optional dependency not installed on this platform brings nothing.
    const dir = workspace.get(pkg)?.dir ?? resolveInstalled(pkg, fromDir)
    if (dir === undefined) return
    const manifest = readManifest(dir)
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) walk(dep, dir)
  }
  walk(name, root)
  return seen
}

describe('the workspace package graph', () => {
  it('has every package', () => {
    expect([...workspace.keys()]).toEqual(expect.arrayContaining(['auditrail', '@auditrail/core', '@auditrail/cli', '@auditrail/verify', '@auditrail/sink-json', '@auditrail/sink-csv']))
  })

  it('has no cycle over dependencies, devDependencies and peerDependencies', () => {
    expect(findCycle()).toBeUndefined()
  })

  it('the library does not depend on the CLI, the CLI depends on the library side', () => {
    expect(workspaceEdges(workspace.get('auditrail')!.manifest)).not.toContain('@auditrail/cli')
    expect(Object.keys(workspace.get('@auditrail/cli')!.manifest.dependencies ?? {})).toContain('@auditrail/verify')
  })

  it("auditrail's production closure holds no CLI framework", () => {
    const closure = productionClosure('auditrail')
    expect(closure).toContain('@auditrail/verify')
    expect(closure).toContain('rxjs')
    for (const framework of ['commander', 'yargs', '@auditrail/cli']) expect(closure).not.toContain(framework)
    // The walk does see commander where it is: the check above is not vacuous.
    expect(productionClosure('@auditrail/cli')).toContain('commander')
  })
})
