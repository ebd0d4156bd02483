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
