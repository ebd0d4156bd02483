import { execFileSync } from 'node:child_process'

/**
 * Runs `auditrail ...args` inside a pseudo-terminal (Python's pty module), so that stdout and stderr are TTYs,
 * and returns everything the terminal showed.
 */
export function runInTerminal(cli: string, args: readonly string[], env: NodeJS.ProcessEnv): string {
  const script = [
    'import os, pty, sys, json',
    'pid, fd = pty.fork()',
    'if pid == 0:',
    '    os.execv(sys.argv[1], sys.argv[1:])',
    'out = b""',
    'while True:',
    '    try:',
    '        chunk = os.read(fd, 65536)',
    '    except OSError:',
    '        break',
    '    if not chunk:',
    '        break',
    '    out += chunk',
    'os.waitpid(pid, 0)',
    'sys.stdout.write(json.dumps(out.decode("utf-8", "replace")))',
  ].join('\n')
  const output = execFileSync('python3', ['-c', script, process.execPath, cli, ...args], { env, encoding: 'utf8' })
  return JSON.parse(output) as string
}
