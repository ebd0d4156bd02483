// Builds large logs directly in each format's layout (much faster than logging them one by one),
// so the benchmark can start from 1,000,000 stored events.
import { closeSync, openSync, writeSync } from 'node:fs'
import { formatMicros } from '../packages/core/dist/index.js'
import { encodePrefixForBench } from './layout.mjs'

const ACTIONS = ['hp_change', 'pause', 'resume', 'mode_switch', 'tag_add', 'tag_remove', 'sample_discard', 'sample_restore', 'query_execute', 'checkpoint_restore', 'evaluation_start', 'note_write']

/** A realistic event (about 250 bytes as a JSON line), deterministic in `i`. */
export function sampleEvent(i, start = 1_780_000_000_000_000) {
  const action = ACTIONS[i % ACTIONS.length]
  const failed = i % 17 === 0
  return {
    timestamp: formatMicros(start + i * 1000),
    action_type: action,
    status: failed ? 'failed' : 'success',
    details: { changed_params: { learning_rate: 0.001 * (i % 7), batch_size: 32 }, sample_ids: [`s${i}`, `s${i + 1}`], origins: ['train', 'val'], step: i },
    error: failed ? 'Checkpoint file not found' : null,
  }
}

/**
 * Writes `count` events as an auditrail JSON log (newest first, gap layout) at `file`, with the gap
 * `gap(bodyBytes)` decides (default 64 KiB). Returns the body's size in bytes.
 */
export function makeJsonLog(file, count, gap = () => 64 * 1024) {
  const lines = []
  let bodyBytes = 3
  for (let i = count - 1; i >= 0; i--) {
    const line = `\n${JSON.stringify(sampleEvent(i))}${i === 0 ? '' : ','}`
    lines.push(line)
    bodyBytes += Buffer.byteLength(line)
  }
  const fd = openSync(file, 'w')
  try {
    // In 16 KiB writes, as the JSON sink lays down a gap: one big write leaves large page-cache folios, into which
    // every small append then costs several times more (see rewrite() in packages/sink-json/src/json-log-file.ts).
    const prefix = encodePrefixForBench(gap(bodyBytes))
    for (let at = 0; at < prefix.length; at += 16 * 1024) writeSync(fd, prefix.subarray(at, Math.min(prefix.length, at + 16 * 1024)))
    for (let i = 0; i < lines.length; i += 10_000) writeSync(fd, lines.slice(i, i + 10_000).join(''))
    writeSync(fd, '\n]\n')
  } finally {
    closeSync(fd)
  }
  return bodyBytes
}

/** Writes `count` events as an auditrail CSV log (oldest first) at `file`. */
export function makeCsvLog(file, count) {
  const fd = openSync(file, 'w')
  try {
    writeSync(fd, 'timestamp,action_type,status,details,error\r\n')
    let batch = []
    for (let i = 0; i < count; i++) {
      const e = sampleEvent(i)
      batch.push(`${e.timestamp},${e.action_type},${e.status},"${JSON.stringify(e.details).replaceAll('"', '""')}",${e.error ?? ''}\r\n`)
      if (batch.length === 10_000) {
        writeSync(fd, batch.join(''))
        batch = []
      }
    }
    writeSync(fd, batch.join(''))
  } finally {
    closeSync(fd)
  }
}
