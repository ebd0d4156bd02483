import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { CLI, childEnv, runCli, tempDir } from './support/cli-process.js'
import { runInTerminal } from './support/terminal.js'
import { writeScenario } from './support/scenario.js'

const COMMANDS = ['summary', 'query', 'tail', 'convert', 'state', 'verify']

describe('the auditrail command line', () => {
  test('every command has --help with an example, on stdout, exit 0', () => {
    for (const command of COMMANDS) {
      const result = runCli([command, '--help'])
      expect(result.code).toBe(0)
      expect(result.stdout).toContain(`Usage: auditrail ${command}`)
      expect(result.stdout).toMatch(new RegExp(`Examples:\\n  \\$ auditrail ${command}`))
    }
    const top = runCli(['--help'])
    expect(top.code).toBe(0)
    for (const command of COMMANDS) expect(top.stdout).toContain(`  ${command} `)
  })

  test('--version prints the package version', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
    expect(runCli(['--version'])).toMatchObject({ code: 0, stdout: `${manifest.version}\n` })
  })

  test('no command or an unknown one is a usage error: exit 2', () => {
    expect(runCli([]).code).toBe(2)
    const unknown = runCli(['summarize'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toBe("[auditrail] [cli] unknown command 'summarize' (Did you mean summary?) (see --help)\n")
  })

  test('colours only on a terminal, and never with NO_COLOR', () => {
    const dir = tempDir()
    writeScenario(dir, 'json')
    const args = ['query', dir, '--action', 'checkpoint_restore']
    const coloured = runInTerminal(CLI, args, childEnv())
    expect(coloured).toContain('\u001b[31mfailed ')
    expect(coloured).toContain('\u001b[32msuccess')
    const plain = runInTerminal(CLI, args, childEnv({ NO_COLOR: '1' }))
    expect(plain).toContain('checkpoint_restore  failed ')
    expect(plain).not.toContain('\u001b[')
    expect(runCli(args).stdout).not.toContain('\u001b[')
  })

  test('convert shows a progress bar on a terminal for a large log, and nothing when piped', () => {
    const dir = tempDir()
    const file = join(dir, 'big.json')
    const line = (i: number): string =>
      JSON.stringify({ timestamp: `2026-05-27T14:${String(Math.floor(i / 60000) % 60).padStart(2, '0')}:${String(Math.floor(i / 1000) % 60).padStart(2, '0')}.${String((i % 1000) * 1000).padStart(6, '0')}Z`, action_type: 'pause', status: 'success', details: { step: i, pad: 'x'.repeat(150) }, error: null })
    writeFileSync(file, `[\n${Array.from({ length: 8000 }, (_, i) => line(7999 - i)).join(',\n')}\n]\n`)
    const shown = runInTerminal(CLI, ['convert', file, join(dir, 'big.csv')], childEnv())
    expect(shown).toMatch(/\[#{30}\] 100%/)
    expect(shown).toContain('8000 events')
    const piped = runCli(['convert', file, join(dir, 'again.csv')])
    expect(piped.stderr).toBe('')
  })

  test('a reader that goes away early (| head) ends the command quietly', () => {
    const dir = tempDir()
    writeScenario(dir, 'json')
    const file = join(dir, 'audit_log.json')
    const events = readFileSync(file, 'utf8')
    // Enough output to fill a pipe: the scenario's events, many times over, in a Python-style array.
    const parsed = JSON.parse(events) as unknown[]
    writeFileSync(join(dir, 'many.json'), JSON.stringify(Array.from({ length: 200 }, () => parsed).flat()))
    const script = `"${process.execPath}" "${CLI}" query "${join(dir, 'many.json')}" --jsonl 2>"${join(dir, 'err')}" | head -n 1 >/dev/null; echo "\${PIPESTATUS[0]}"`
    const result = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: childEnv() })
    expect(result.stdout.trim()).toBe('0')
    expect(readFileSync(join(dir, 'err'), 'utf8')).toBe('')
  })
})
