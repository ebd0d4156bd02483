// histogram.js: events over time, stacked by action type with failures on top in red; dragging (or the arrow keys
// on the focused chart) selects a time range.

/** Dense bins from the embedded aggregate: counts[bin][action] = [success, failed]. */
function denseBins(bins) {
  const counts = Array.from({ length: bins.count }, () => new Map());
  for (let i = 0; i < bins.cells.length; i += 4) {
    counts[bins.cells[i]].set(bins.cells[i + 1], [bins.cells[i + 2], bins.cells[i + 3]]);
  }
  return { width: bins.width, first: bins.first, maxBins: Math.max(1, bins.maxBins || 240), actions: [...bins.actions], counts };
}

/** Doubles the bins' width, merging neighbours, as the report's own binning does. */
function widenBins(dense) {
  const first = Math.floor(dense.first / 2);
  const merged = [];
  dense.counts.forEach((m, bin) => {
    const target = Math.floor((dense.first + bin) / 2) - first;
    while (merged.length <= target) merged.push(new Map());
    for (const [index, [success, failed]] of m) {
      const pair = merged[target].get(index) || [0, 0];
      merged[target].set(index, [pair[0] + success, pair[1] + failed]);
    }
  });
  dense.width *= 2;
  dense.first = first;
  dense.counts = merged;
}

/**
 * Adds one event (live updates); bins grow to the right when it is newer than the last, and widen so that
 * there are never more than `maxBins`: an event minutes after a log written in milliseconds must not make a
 * million bins (the page froze on that).
 */
function addToBins(dense, us, action, failed) {
  if (dense.counts.length === 0) {
    dense.first = Math.floor(us / dense.width);
  }
  while (Math.floor(us / dense.width) - dense.first + 1 > dense.maxBins) widenBins(dense);
  const bin = Math.floor(us / dense.width) - dense.first;
  if (bin < 0) return;
  while (dense.counts.length <= bin) dense.counts.push(new Map());
  let index = dense.actions.indexOf(action);
  if (index === -1) index = dense.actions.push(action) - 1;
  const pair = dense.counts[bin].get(index) || [0, 0];
  pair[failed ? 1 : 0]++;
  dense.counts[bin].set(index, pair);
}

function binRange(dense, from, to) {
  const lo = Math.min(from, to);
  const hi = Math.max(from, to);
  return { since: formatUs((dense.first + lo) * dense.width), until: formatUs((dense.first + hi + 1) * dense.width - 1) };
}

function renderHistogram(dense, filter, onRange) {
  const n = Math.max(1, dense.counts.length);
  const W = 1000;
  const H = 120;
  const totals = dense.counts.map((m) => [...m.values()].reduce((s, [a, b]) => s + a + b, 0));
  const max = totals.reduce((a, b) => Math.max(a, b), 1);
  const bw = W / n;
  const chart = svg('svg', { 'data-bins': n, viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', tabindex: 0, 'aria-label': 'Events over time by action type; drag, or use the arrow keys with Shift, to select a time range' });
  dense.counts.forEach((m, bin) => {
    let y = H;
    for (const [index, [success]] of [...m.entries()].sort((a, b) => a[0] - b[0])) {
      if (success === 0) continue;
      const hgt = (success / max) * (H - 4);
      y -= hgt;
      chart.append(svg('rect', { x: bin * bw, y, width: Math.max(bw - 0.5, 0.5), height: hgt, fill: actionColor(index) }));
    }
    const failed = [...m.values()].reduce((s, [, f]) => s + f, 0);
    if (failed > 0) {
      const hgt = Math.max((failed / max) * (H - 4), 2);
      y -= hgt;
      chart.append(svg('rect', { x: bin * bw, y, width: Math.max(bw - 0.5, 0.5), height: hgt, fill: 'var(--fail)', class: 'failed-bar' }));
    }
    chart.lastChild && chart.lastChild.append(svg('title', {}, `${formatUs((dense.first + bin) * dense.width).slice(0, 19)}Z: ${totals[bin]} events, ${failed} failed`));
  });
  // The selected range, from the filter.
  const since = filter.since ? parseTime(filter.since) : NaN;
  const until = filter.until ? parseTime(filter.until) : NaN;
  const brush = svg('rect', { class: 'brush', x: 0, y: 0, width: 0, height: H, hidden: true });
  chart.append(brush);
  const showBrush = (lo, hi) => {
    brush.removeAttribute('hidden');
    brush.setAttribute('x', String(Math.min(lo, hi) * bw));
    brush.setAttribute('width', String((Math.abs(hi - lo) + 1) * bw));
  };
  if (!Number.isNaN(since) || !Number.isNaN(until)) {
    const lo = Number.isNaN(since) ? 0 : Math.max(0, Math.floor(since / dense.width) - dense.first);
    const hi = Number.isNaN(until) ? n - 1 : Math.min(n - 1, Math.floor(until / dense.width) - dense.first);
    if (hi >= lo) showBrush(lo, hi);
  }
  const binAt = (clientX) => {
    const box = chart.getBoundingClientRect();
    return Math.min(n - 1, Math.max(0, Math.floor(((clientX - box.left) / box.width) * n)));
  };
  let start;
  chart.addEventListener('pointerdown', (event) => {
    start = binAt(event.clientX);
    chart.setPointerCapture(event.pointerId);
    showBrush(start, start);
  });
  chart.addEventListener('pointermove', (event) => {
    if (start !== undefined) showBrush(start, binAt(event.clientX));
  });
  chart.addEventListener('pointerup', (event) => {
    if (start === undefined) return;
    const end = binAt(event.clientX);
    const from = start;
    start = undefined;
    onRange(binRange(dense, from, end));
  });
  // Keyboard: Shift+arrows grow the selection from the newest bin leftwards or shrink it.
  let keyLo = n - 1;
  chart.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    event.preventDefault();
    keyLo = Math.min(n - 1, Math.max(0, keyLo + (event.key === 'ArrowLeft' ? -1 : 1)));
    onRange(binRange(dense, keyLo, n - 1));
  });
  const legend = h('div', { class: 'legend' },
    dense.actions.map((a, i) => h('span', {}, h('span', { class: 'swatch', 'aria-hidden': 'true', 'data-color': i }), a)),
    h('span', {}, h('span', { class: 'swatch failed-swatch', 'aria-hidden': 'true' }), 'failed'));
  legend.querySelectorAll('.swatch').forEach((el) => {
    el.style.background = el.classList.contains('failed-swatch') ? 'var(--fail)' : actionColor(Number(el.dataset.color));
  });
  const first = formatUs(dense.first * dense.width).slice(0, 19) + 'Z';
  const last = formatUs((dense.first + n) * dense.width - 1).slice(0, 19) + 'Z';
  return h('div', { class: 'histogram' }, chart, h('div', { class: 'axis' }, h('span', {}, first), h('span', {}, last)), legend);
}
