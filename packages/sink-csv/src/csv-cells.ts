/** One CSV cell, and whether it was quoted: `""` (the empty string) differs from an empty cell (no value). */
export interface CsvCell {
  readonly value: string
  readonly quoted: boolean
}

/** One record parsed from a text: its cells and the offset after its line break, or why it is malformed. */
export type CsvRecordAt = { readonly cells: CsvCell[]; readonly next: number } | { readonly error: string }

const QUOTE = 0x22
const COMMA = 0x2c
const CR = 0x0d
const LF = 0x0a

/**
 * Parses the RFC 4180 record that starts at `start` of `text`: up to its line break (LF or CRLF, outside quotes) or
 * the text's end. In RFC 4180 a `"` only opens, closes or doubles inside a quoted cell, so a quote inside an unquoted
 * cell, or text after a closing quote, is malformed. The one cell parser of every CSV reader here (the sink's and the
 * snapshot's), so that they cannot read one file two ways.
 */
export function parseCsvRecordAt(text: string, start: number): CsvRecordAt {
  const cells: CsvCell[] = []
  let i = start
  // The record's line break, as far as unquoted text goes: found again only after a quoted cell that spans lines.
  let lineEnd = text.indexOf('\n', i)
  for (;;) {
    if (text.charCodeAt(i) === QUOTE) {
      let value = ''
      let from = i + 1
      for (;;) {
        const quote = text.indexOf('"', from)
        if (quote < 0) return { error: `cell ${cells.length + 1}: unterminated quoted cell` }
        value += text.slice(from, quote)
        if (text.charCodeAt(quote + 1) !== QUOTE) {
          i = quote + 1
          break
        }
        value += '"'
        from = quote + 2
      }
      cells.push({ value, quoted: true })
      if (lineEnd !== -1 && lineEnd < i) lineEnd = text.indexOf('\n', i)
      const next = text.charCodeAt(i)
      if (next === COMMA) {
        i++
        continue
      }
      if (i === text.length) return { cells, next: i }
      if (next === LF) return { cells, next: i + 1 }
      if (next === CR && text.charCodeAt(i + 1) === LF) return { cells, next: i + 2 }
      if (next === CR && i + 1 === text.length) return { cells, next: i + 1 }
      return { error: `cell ${cells.length}: text after the closing quote` }
    }
    const comma = text.indexOf(',', i)
    const last = comma < 0 || (lineEnd !== -1 && lineEnd < comma)
    const end = last ? (lineEnd < 0 ? text.length : lineEnd) : comma
    // A CRLF's CR is the line break's, not the cell's (as the framing keeps it in the record, a record ends in it too).
    const valueEnd = last && text.charCodeAt(end - 1) === CR && end > i ? end - 1 : end
    const value = text.slice(i, valueEnd)
    if (value.includes('"')) return { error: `cell ${cells.length + 1}: a quote inside an unquoted cell` }
    cells.push({ value, quoted: false })
    if (last) return { cells, next: lineEnd < 0 ? text.length : lineEnd + 1 }
    i = comma + 1
  }
}

/** Splits one RFC 4180 record (without its line break) into cells; returns a message when it is malformed. */
export function parseCsvRecord(text: string): CsvCell[] | string {
  const record = parseCsvRecordAt(text, 0)
  return 'error' in record ? record.error : record.cells
}
