// Unicode's bidirectional controls (LRM, RLM, the embeddings and overrides U+202A–U+202E, the isolates U+2066–U+2069):
// a log value holding U+202E reverses what a reviewer reads on the rest of the line, so they never reach a terminal raw.
const BIDI_TEST = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/
const BIDI = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g
// eslint-disable-next-line no-control-regex
const CONTROL_OR_BIDI = /[\u0000-\u001f\u007f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

/** `\u202e` for U+202E: the JSON escape, so that escaped JSON text stays valid JSON with the same value. */
function escapeChar(c: string): string {
  return `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`
}

/** `text` with bidirectional controls written as `\u202e` escapes; for text whose control characters are escaped already (JSON). */
export function escapeBidi(text: string): string {
  // The test first: printing a million events, almost none holds one, and a replace would copy each string.
  return BIDI_TEST.test(text) ? text.replace(BIDI, escapeChar) : text
}

/** A log string as a terminal may show it: control characters (a line break in an error) and bidi controls escaped, so one event stays one readable row. */
export function visible(text: string): string {
  return text.replace(CONTROL_OR_BIDI, (c) => (c.charCodeAt(0) < 0x80 ? JSON.stringify(c).slice(1, -1) : escapeChar(c)))
}
