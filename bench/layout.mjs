// The JSON sink's file prefix, rebuilt from its published layout module (dist), for generated logs.
import { encodePrefix } from '../packages/sink-json/dist/json-layout.js'

/** `[`, a clean header and a gap of `gapBytes` spaces. */
export function encodePrefixForBench(gapBytes) {
  return encodePrefix(gapBytes)
}
