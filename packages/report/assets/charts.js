// charts.js: a step chart per hyperparameter (each point an hp_change, with who made it) and the bands of training
// status (running / paused) and mode (train / audit / evaluation …), on the log's time axis.
const CHART_W = 1000;

function timeDomain() {
  const span = DATA.summary.span;
  if (!span) return { lo: 0, hi: 1 };
  return { lo: span.startUs, hi: Math.max(span.endUs, span.startUs + 1) };
}

function xOf(domain, us) {
  return ((us - domain.lo) / (domain.hi - domain.lo)) * CHART_W;
}

function renderHyperparameterChart(name, series, domain) {
  const points = series.points;
  const numeric = points.every((p) => typeof p.value === 'number');
  const H = 100;
  const chart = svg('svg', { viewBox: `0 0 ${CHART_W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': `${name} over time` });
  const values = numeric ? points.map((p) => p.value) : [];
  const min = Math.min(...values, Infinity);
  const max = Math.max(...values, -Infinity);
  const yOf = (v) => (numeric ? (max === min ? H / 2 : H - 8 - ((v - min) / (max - min)) * (H - 16)) : H / 2);
  if (numeric && points.length > 0) {
    let d = `M ${xOf(domain, points[0].us)} ${yOf(points[0].value)}`;
    for (let i = 1; i < points.length; i++) d += ` H ${xOf(domain, points[i].us)} V ${yOf(points[i].value)}`;
    d += ` H ${CHART_W}`;
    chart.append(svg('path', { class: 'step', d }));
  }
  // Markers only while they stay readable; the table below lists every point either way.
  if (points.length <= 2000) {
    for (const p of points) {
      chart.append(svg('circle', { class: 'hp-point', cx: xOf(domain, p.us), cy: yOf(numeric ? p.value : 0), r: 3 },
        svg('title', {}, `${p.timestamp}: ${json(p.previous)} → ${json(p.value)}${p.actor === undefined ? '' : ` by ${p.actor}`}`)));
    }
  }
  const table = h('table', { class: 'hp-points', 'data-parameter': name },
    h('thead', {}, h('tr', {}, h('th', {}, 'time'), h('th', {}, 'before'), h('th', {}, 'after'), h('th', {}, 'by'), h('th', {}, 'seq'))),
    h('tbody', {}, points.slice().reverse().slice(0, 500).map((p) => h('tr', { 'data-timestamp': p.timestamp, 'data-value': json(p.value) },
      h('td', { class: 'mono' }, p.timestamp), h('td', { class: 'mono' }, p.previous === undefined ? '' : json(p.previous)),
      h('td', { class: 'mono' }, json(p.value)), h('td', {}, p.actor === undefined ? '' : p.actor), h('td', { class: 'num' }, p.seq === undefined ? '' : String(p.seq))))));
  const note = series.omitted > 0 ? h('p', { class: 'muted' }, `${series.omitted} older changes not embedded: auditrail query ${shellQuote(DATA.log)} --action hp_change --oldest-first`) : null;
  const range = numeric && points.length > 0 ? ` (${min} … ${max})` : '';
  return h('div', { class: 'chart', 'data-parameter': name }, h('h3', {}, `${name}${range}`), chart,
    h('details', {}, h('summary', {}, `${points.length} changes${points.length > 500 ? ' (newest 500 listed)' : ''}`), table), note);
}

function band(label, segments, domain, colorOf) {
  const chart = svg('svg', { viewBox: `0 0 ${CHART_W} 40`, preserveAspectRatio: 'none', role: 'img', 'aria-label': label });
  segments.forEach((s, i) => {
    const end = i + 1 < segments.length ? segments[i + 1].us : domain.hi;
    chart.append(svg('rect', { x: xOf(domain, s.us), y: 4, width: Math.max(xOf(domain, end) - xOf(domain, s.us), 1), height: 32, fill: colorOf(s.value), class: 'band', 'data-value': s.value },
      svg('title', {}, `${s.value} from ${formatUs(s.us)}`)));
  });
  const values = [...new Set(segments.map((s) => s.value))];
  const legend = h('div', { class: 'legend' }, values.map((v) => {
    const sw = h('span', { class: 'swatch', 'aria-hidden': 'true' });
    sw.style.background = colorOf(v);
    return h('span', {}, sw, v);
  }));
  return h('div', { class: 'chart bands' }, h('h3', {}, label), chart, legend);
}

function renderStateCharts() {
  const domain = timeDomain();
  const names = Object.keys(DATA.hyperparameters);
  const parts = names.map((name) => renderHyperparameterChart(name, DATA.hyperparameters[name], domain));
  const training = DATA.training.points;
  const statusSegments = [];
  const modeSegments = [];
  for (const p of training) {
    if (p.status !== 'unknown' && (statusSegments.length === 0 || statusSegments[statusSegments.length - 1].value !== p.status)) statusSegments.push({ us: p.us, value: p.status });
    if (p.mode !== null && (modeSegments.length === 0 || modeSegments[modeSegments.length - 1].value !== p.mode)) modeSegments.push({ us: p.us, value: p.mode });
  }
  const modes = [...new Set(modeSegments.map((s) => s.value))];
  if (statusSegments.length > 0) parts.push(band('Training status', statusSegments, domain, (v) => (v === 'running' ? 'var(--running)' : 'var(--paused)')));
  if (modeSegments.length > 0) parts.push(band('Mode', modeSegments, domain, (v) => PALETTE[(modes.indexOf(v) + 3) % PALETTE.length]));
  if (parts.length === 0) parts.push(h('p', { class: 'muted' }, 'No hp_change, pause, resume or mode_switch in this log.'));
  return parts;
}
