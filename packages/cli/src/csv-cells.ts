import type { AuditEvent } from '@auditrail/core'

/** One CSV cell, and whether it was quoted: `""` (the empty string) differs from an empty cell (no value). */
export interface CsvCell {
  readonly value: string
  readonly quoted: boolean
}

/** Splits one RFC 4180 record (without its line break) into cells; returns a message when it is malformed. */
export function parseCsvRecord(text: string): CsvCell[] | string {
  const cells: CsvCell[] = []
  let i = 0
  for (;;) {
    if (text[i] === '"') {
      let value = ''
      let from = i + 1
      for (;;) {
        const quote = text.indexOf('"', from)
        if (quote < 0) return `cell ${cells.length + 1}: unterminated quoted cell`
        value += text.slice(from, quote)
        if (text[quote + 1] !== '"') {
          i = quote + 1
          break
        }
        value += '"'
        from = quote + 2
      }
      cells.push({ value, quoted: true })
      if (i === text.length) return cells
      if (text[i] !== ',') return `cell ${cells.length}: text after the closing quote`
      i++
    } else {
      const comma = text.indexOf(',', i)
      const value = text.slice(i, comma < 0 ? text.length : comma)
      if (value.includes('"')) return `cell ${cells.length + 1}: a quote inside an unquoted cell`
      cells.push({ value, quoted: false })
      if (comma < 0) return cells
      i = comma + 1
    }
  }
}

function encodeCell(value: string | null): string {
  if (value === null) return ''
  // The empty string is quoted so that it reads back as "" rather than as a missing value, as sink-csv writes it.
  if (value === '') return '""'
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}

/** One event as the CSV sink writes it: details as compact JSON (empty cell for `{}`), `null` error as an empty cell, CRLF. */
export function encodeCsvRow(event: AuditEvent): string {
  const details = Object.keys(event.details).length === 0 ? null : JSON.stringify(event.details)
  return `${[event.timestamp, event.action_type, event.status, details, event.error].map(encodeCell).join(',')}\r\n`
}
