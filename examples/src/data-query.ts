import type { SampleRecord } from './trainer.js'
import { TrainerError } from './trainer-error.js'

const QUERY_FIELDS = ['loss', 'origin', 'tag', 'discarded'] as const

/** Compiles the simulation's query language, `field op value` (fields: loss, origin, tag, discarded; ops: == != > < >= <=). */
export function compileQuery(query: string): (sample: SampleRecord) => boolean {
  const match = /^\s*(\w+)\s*(==|!=|>=|<=|>|<)\s*([\w.-]+)\s*$/.exec(query)
  if (match === null) {
    const token = /(>>|<<|[^\w\s.=!<>-])|(==|!=|>=|<=|>|<)\s*$/.exec(query)?.[0]?.trim() ?? query.trim().split(/\s+/)[0] ?? ''
    throw new TrainerError('invalid_argument', `Invalid query syntax: unexpected token ${JSON.stringify(token)}`)
  }
  const [, field = '', op = '', raw = ''] = match
  if (!(QUERY_FIELDS as readonly string[]).includes(field)) throw new TrainerError('invalid_argument', `Invalid query: unknown field ${JSON.stringify(field)}`)
  const read = (s: SampleRecord): number | string | boolean | string[] =>
    field === 'loss' ? s.loss : field === 'origin' ? s.origin : field === 'tag' ? s.tags : s.discarded
  const value: number | string | boolean = field === 'loss' ? Number(raw) : field === 'discarded' ? raw === 'true' : raw
  if (field === 'loss' && Number.isNaN(value)) throw new TrainerError('invalid_argument', `Invalid query: loss needs a number, got ${JSON.stringify(raw)}`)
  if (field !== 'loss' && op !== '==' && op !== '!=') throw new TrainerError('invalid_argument', `Invalid query: ${field} supports == and != only`)
  return (sample) => {
    const actual = read(sample)
    const equal = Array.isArray(actual) ? actual.includes(String(value)) : actual === value
    switch (op) {
      case '==':
        return equal
      case '!=':
        return !equal
      case '>':
        return (actual as number) > (value as number)
      case '<':
        return (actual as number) < (value as number)
      case '>=':
        return (actual as number) >= (value as number)
      default:
        return (actual as number) <= (value as number)
    }
  }
}
