import { AuditrailError, readAt, writeFully, type FileIo } from '@auditrail/core'
import { HEADER_END, encodeHeader, isGapByte } from './json-layout.js'

/**
 * Repairs a file whose header is dirty: its last writer died while holding it. `recorded` is the gap end
 * when that writer took the file. Events it finished since lie between the true gap end and `recorded`,
 * each line ending in `,`; a torn write (never acknowledged) lies in the gap, and is blanked with spaces.
 * Returns the true gap end, after writing a clean header for it.
 */
export function recoverGap(io: FileIo, fd: number, recorded: number, file: string, fsync: boolean): number {
  const corrupt = (why: string): AuditrailError =>
    new AuditrailError('corrupt', `cannot repair after a crash: ${why}; the file is left untouched`, { component: 'sink-json', file })
  const region = readAt(io, fd, HEADER_END, recorded + 2 - HEADER_END)
  const logWasEmpty = region[recorded + 1 - HEADER_END] === 0x5d
  const byteAt = (p: number): number | undefined => (p < HEADER_END ? 0x20 : region[p - HEADER_END])
  if (byteAt(recorded) !== 0x0a) throw corrupt('the recorded gap end is not a line start')
  let gapEnd = recorded
  while (!isGapByte(byteAt(gapEnd - 1))) {
    const previous = region.lastIndexOf(0x0a, gapEnd - 1 - HEADER_END)
    if (previous === -1) {
      // Torn bytes with no line start before them: a power cut kept the end of the in-flight chunk but not its
      // start. That chunk was never acknowledged; it is blanked below with the rest of the gap.
      gapEnd = recorded
      break
    }
    gapEnd = previous + HEADER_END
  }
  // Lines written during the dead writer's tenure start at or after gapEnd and before `recorded`; under power
  // loss one of them may be torn. Each must parse; a torn one joins the gap.
  for (;;) {
    const lineEnd = gapEnd === recorded ? -1 : region.indexOf(0x0a, gapEnd + 1 - HEADER_END)
    if (lineEnd === -1) break
    const text = region.toString('utf8', gapEnd + 1 - HEADER_END, lineEnd)
    if (text.endsWith(',') ? isJson(text.slice(0, -1)) : logWasEmpty && lineEnd + HEADER_END === recorded && isJson(text)) break
    gapEnd = lineEnd + HEADER_END
  }
  let junk = -1
  for (let p = HEADER_END; p < gapEnd; p++) {
    if (!isGapByte(byteAt(p))) {
      junk = p
      break
    }
  }
  if (junk !== -1) {
    writeFully(io, fd, Buffer.alloc(gapEnd - junk, 0x20), junk)
    // The blanking must be on disk before the clean header: a power cut that kept only the header would leave torn
    // bytes under a clean header, which no later writer repairs (the file would stay invalid JSON).
    if (fsync) io.fdatasyncSync(fd)
  }
  writeFully(io, fd, encodeHeader({ gapEnd, dirty: false }), 1)
  if (fsync) io.fdatasyncSync(fd)
  return gapEnd
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    // Not JSON is exactly what we are testing for.
    return false
  }
}
