import type { ExperimentState, SampleEntry } from '@auditrail/replay'
import type { Colors } from './cli-context.js'

/** Entries shown per list; the rest are counted (`--json` has them all). */
const SHOWN = 10

function capped<T>(items: readonly T[], render: (item: T) => string): string[] {
  const lines = items.slice(0, SHOWN).map(render)
  if (items.length > SHOWN) lines.push(`… and ${items.length - SHOWN} more (--json lists all)`)
  return lines
}

function samples(entries: readonly SampleEntry[]): string {
  const shown = entries.slice(0, SHOWN).map((s) => {
    const notes = [s.origin, s.reason].filter((x) => x !== undefined)
    return `${String(s.id)}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`
  })
  const more = entries.length > SHOWN ? `, … and ${entries.length - SHOWN} more` : ''
  return `${entries.length} sample${entries.length === 1 ? '' : 's'}: ${shown.join(', ')}${more}`
}

function section(title: string, count: number | undefined, body: string[], colors: Colors): string[] {
  return ['', colors.bold(count === undefined ? title : `${title} (${count})`), ...body.map((line) => `  ${line}`)]
}

/** The replayed state as a report for people, section by section. */
export function formatStateReport(state: ExperimentState, file: string, at: string | undefined, colors: Colors): string {
  const lines = [`${colors.bold(file)} at ${at ?? 'the last event'}: ${state.eventCount === 1 ? '1 event' : `${state.eventCount} events`} replayed${state.asOf === null ? '' : `, the last at ${state.asOf}`}`]
  const t = state.training
  const position = [t.step === null ? undefined : `step ${t.step}`, t.epoch === null ? undefined : `epoch ${t.epoch}`].filter((x) => x !== undefined).join(', ')
  lines.push(
    ...section('Training', undefined, [
      `status  ${t.status}${t.statusChangedAt === null ? '' : ` since ${t.statusChangedAt}`}${position === '' ? '' : ` (${position})`}`,
      `mode    ${t.mode ?? 'unknown'}${t.modeChangedAt === null ? '' : ` since ${t.modeChangedAt}`}`,
    ], colors),
  )
  const params = Object.entries(state.hyperparameters)
  const width = Math.max(0, ...params.map(([name]) => name.length))
  const valueWidth = Math.max(0, ...params.map(([, p]) => JSON.stringify(p.value).length))
  lines.push(
    ...section('Hyperparameters', params.length, params.map(([name, p]) => {
      const was = p.previous === undefined ? '' : `was ${JSON.stringify(p.previous)}, `
      return `${name.padEnd(width)}  ${JSON.stringify(p.value).padEnd(valueWidth)}  (${was}changed ${p.changedAt})`
    }), colors),
  )
  const tags = Object.entries(state.data.tags)
  lines.push(
    ...section('Data', undefined, [
      ...tags.map(([tag, entries]) => `tag ${JSON.stringify(tag)}: ${samples(entries)}`),
      ...(tags.length === 0 ? ['no tagged samples'] : []),
      state.data.discarded.length === 0 ? 'no discarded samples' : `discarded: ${samples(state.data.discarded)}`,
      ...(state.data.registered.length === 0 ? [] : [`registered tags: ${state.data.registered.map((tag) => JSON.stringify(tag)).join(', ')}`]),
    ], colors),
  )
  const restore = state.lastCheckpointRestore
  lines.push(...section('Last checkpoint restore', undefined, [restore === null ? 'none' : `${restore.timestamp}  ${JSON.stringify(restore.details)}`], colors))
  const save = state.lastCheckpointSave
  if (save !== null) lines.push(...section('Last checkpoint save', undefined, [`${save.timestamp}  ${JSON.stringify(save.details)}`], colors))
  const names = Object.entries(state.experimentNames)
  if (names.length > 0) lines.push(...section('Run names', names.length, capped(names, ([hash, n]) => `${JSON.stringify(hash)}  ${JSON.stringify(n.name)} (${n.renamedAt})`), colors))
  if (state.restarts.length > 0) lines.push(...section('Restarts', state.restarts.length, capped(state.restarts, (e) => e.timestamp), colors))
  if (state.notebook.length > 0) {
    lines.push(...section('Notebook', state.notebook.length, capped(state.notebook, (e) => `${e.timestamp}  ${e.action_type}  ${JSON.stringify(e.details)}`), colors))
  }
  for (const [title, entries] of [['Evaluations', state.evaluations], ['Queries', state.queries]] as const) {
    lines.push(...section(title, entries.length, capped(entries, (e) => `${e.timestamp}  ${JSON.stringify(e.details)}`), colors))
  }
  lines.push(
    ...section('Notes', state.notes.length, capped(state.notes, (n) => `${n.plotName ?? '-'} @ ${JSON.stringify(n.pointId)}: ${JSON.stringify(n.note)} (${n.writtenAt})`), colors),
  )
  lines.push(
    ...section('Failed events', state.failures.length, capped(state.failures, (e) => `${e.timestamp}  ${e.action_type}  ${colors.red(JSON.stringify(e.error))}`), colors),
  )
  if (state.unknownEvents.length > 0) {
    lines.push(...section('Other action types', state.unknownEvents.length, capped(state.unknownEvents, (e) => `${e.timestamp}  ${e.action_type}  ${JSON.stringify(e.details)}`), colors))
  }
  if (state.skipped.length > 0) {
    lines.push(...section('Not applied', state.skipped.length, capped(state.skipped, (s) => `${s.event.timestamp}  ${s.reason}`), colors))
  }
  return `${lines.join('\n')}\n`
}
