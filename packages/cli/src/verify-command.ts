import * as fs from 'node:fs'
import { AuditrailError, formatChainHead, ioError, type HmacKey } from '@auditrail/core'
import { Command } from 'commander'
import type { CliContext } from './cli-context.js'
import { helpExamples, LOG_ARGUMENT_HELP } from './command-help.js'
import { DEFAULT_TARGET, verifyLog, type VerifyFinding } from '@auditrail/verify'
import { isPostgresTarget, verifyPostgres } from './postgres-target.js'
import { escapeBidi } from './terminal-text.js'

/** One problem `verify` found, where it is (the JSON form of `--json`). */
export type Finding = VerifyFinding

interface VerifyFlags {
  json?: boolean
  expectHead?: string
  hmacKeyFile?: string
  hmacKeyEnv?: string
  printHead?: boolean
}

/** The HMAC key named by `--hmac-key-file` (its bytes, one trailing newline dropped) or `--hmac-key-env`. */
function readHmacKey(flags: VerifyFlags, env: NodeJS.ProcessEnv): HmacKey | undefined {
  if (flags.hmacKeyFile !== undefined && flags.hmacKeyEnv !== undefined) {
    throw new AuditrailError('options', '--hmac-key-file and --hmac-key-env: give one', { component: 'cli', field: 'hmac-key' })
  }
  if (flags.hmacKeyFile !== undefined) {
    let key: Buffer
    try {
      key = fs.readFileSync(flags.hmacKeyFile)
    } catch (error) {
      throw ioError('cli', 'read the HMAC key', flags.hmacKeyFile, error)
    }
    // Editors end files with a newline the key never had.
    const trimmed = key.at(-1) === 0x0a ? key.subarray(0, key.at(-2) === 0x0d ? -2 : -1) : key
    if (trimmed.length === 0) throw new AuditrailError('options', '--hmac-key-file: the file is empty', { component: 'cli', file: flags.hmacKeyFile, field: 'hmac-key-file' })
    return trimmed
  }
  if (flags.hmacKeyEnv !== undefined) {
    const key = env[flags.hmacKeyEnv]
    if (key === undefined || key === '') {
      throw new AuditrailError('options', `--hmac-key-env: ${flags.hmacKeyEnv} is not set`, { component: 'cli', field: 'hmac-key-env' })
    }
    return key
  }
  return undefined
}

/**
 * `auditrail verify`: is the file well-formed, does every event decode, and — for a hash-chained log — does the chain
 * hold? Each problem with its position; the chain's head printed so that it can be kept elsewhere.
 */
export function createVerifyCommand(context: CliContext, env: NodeJS.ProcessEnv = process.env): Command {
  return new Command('verify')
    .description('check that the log is well-formed, that every event decodes and that its hash chain (if any) holds; exit 1 when an error is found')
    .argument('[log]', LOG_ARGUMENT_HELP, DEFAULT_TARGET)
    .option('--json', 'print the findings as a JSON array [{file, severity, line, byte, message, seq?, problem?}]')
    .option('--expect-head <seq:hash>', 'a head printed by an earlier verify: fail unless the log still holds it (newest events not dropped)')
    .option('--hmac-key-file <file>', 'the HMAC key the log was written with (the file\'s bytes; one trailing newline ignored)')
    .option('--hmac-key-env <name>', 'the HMAC key the log was written with, from this environment variable')
    .option('--print-head', 'print only the chain head <seq>:<hash> when the log verifies (for scripts that keep it)')
    .addHelpText(
      'after',
      helpExamples(
        'auditrail verify runs/42/audit_log.csv --json',
        'auditrail verify runs/42 --print-head > head.txt          # keep head.txt elsewhere',
        'auditrail verify runs/42 --expect-head "$(cat head.txt)" --hmac-key-env AUDIT_KEY',
      ),
    )
    .action(async (log: string, flags: VerifyFlags) => {
      const { out, colors } = context
      const hmacKey = readHmacKey(flags, env)
      let shown = 0
      const show = (finding: VerifyFinding): void => {
        if (flags.printHead === true) return
        // Findings quote log values (`got "…"`): bidi controls escaped, as in every printed log string.
        if (flags.json === true) out.write(`${shown === 0 ? '[\n' : ',\n'}${escapeBidi(JSON.stringify(finding))}`)
        else {
          const where = finding.seq === undefined ? '' : ` [seq ${finding.seq}]`
          out.write(`${finding.file}:${finding.line}: ${(finding.severity === 'error' ? colors.red : colors.yellow)(finding.severity)}${where}: ${escapeBidi(finding.message)} (byte ${finding.byte})\n`)
        }
        shown++
      }
      const result = isPostgresTarget(log)
        ? await verifyPostgres(log, hmacKey, flags.expectHead, show)
        : verifyLog(log, {
            ...(hmacKey === undefined ? {} : { hmacKey }),
            ...(flags.expectHead === undefined ? {} : { expectHead: flags.expectHead }),
            onFinding: show,
          })
      if (result.errors > 0) context.exitCode = 1
      const head = result.chain?.head
      if (flags.printHead === true) {
        if (result.ok && head !== undefined) out.write(`${formatChainHead(head)}\n`)
        else {
          context.err(`[auditrail] [cli] ${result.ok ? 'the log has no hash chain' : `the log does not verify (${result.errors} errors): run verify without --print-head`} (${result.file})\n`)
          context.exitCode = 1
        }
        return
      }
      if (flags.json === true) {
        out.write(shown === 0 ? '[]\n' : '\n]\n')
        return
      }
      const s = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`
      const tally = `${s(result.events, 'event')}, ${s(result.errors, 'error')}, ${s(result.warnings, 'warning')}`
      out.write(result.ok ? `${colors.green('ok')}: ${result.file} is well-formed (${tally})\n` : `${colors.red('failed')}: ${result.file} (${tally})\n`)
      const chain = result.chain
      if (chain !== undefined && chain.chained > 0) {
        const mode = hmacKey === undefined ? 'sha256' : 'hmac-sha256'
        if (chain.firstBadSeq !== undefined) out.write(`chain (${mode}): broken, first bad seq ${chain.firstBadSeq}\n`)
        else out.write(`chain (${mode}): seq 1–${chain.head?.seq ?? 0} verified${flags.expectHead === undefined ? '' : ', expected head present'}\n`)
        // A broken chain's newest seq and hash vouch for nothing: no head to keep.
        if (head !== undefined && chain.firstBadSeq === undefined) {
          out.write(`head: ${formatChainHead(head)}\n`)
          if (flags.expectHead === undefined) {
            out.write(colors.dim('  (dropping the newest events leaves a valid chain: keep this head elsewhere and check later with --expect-head)\n'))
          }
        }
      }
    })
}

