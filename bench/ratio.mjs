// The ratio column of bench/RESULTS.md.

/**
 * `value / baseline` as `1.31×`; when that is below 0.01 (two decimals would print `0.00×`: the original algorithm's
 * rows, a rewrite of the whole file per event), how many times faster instead, to two significant digits: `≈ 440× faster`.
 */
export function formatRatio(value, baseline) {
  const ratio = value / baseline
  if (ratio >= 0.01 || !(ratio > 0)) return `${ratio.toFixed(2)}×`
  return `≈ ${Number((1 / ratio).toPrecision(2)).toLocaleString('en-US')}× faster`
}
