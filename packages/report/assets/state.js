// state.js: the experiment's state at a chosen moment, read from the series replay's projections recorded (the last
// point at or before it), as `auditrail state --at` gives those parts.

function lastAtOrBefore(points, us) {
  let lo = 0;
  let hi = points.length - 1;
  let found;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid].us <= us) {
      found = points[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** The hyperparameters, training and last checkpoint restore at `us`; `incomplete` names parts older than what is embedded. */
function stateAt(us) {
  const incomplete = [];
  const hyperparameters = {};
  for (const [name, series] of Object.entries(DATA.hyperparameters)) {
    const p = lastAtOrBefore(series.points, us);
    if (series.omitted > 0 && (series.points.length === 0 || us < series.points[0].us)) incomplete.push(`hyperparameters.${name}`);
    if (p) hyperparameters[name] = { value: p.value, ...(p.previous === undefined ? {} : { previous: p.previous }), changedAt: p.timestamp };
  }
  const t = lastAtOrBefore(DATA.training.points, us);
  if (DATA.training.omitted > 0 && (DATA.training.points.length === 0 || us < DATA.training.points[0].us)) incomplete.push('training');
  const training = t
    ? { status: t.status, statusChangedAt: t.statusChangedAt, mode: t.mode, modeChangedAt: t.modeChangedAt, step: t.step, epoch: t.epoch }
    : { status: 'unknown', statusChangedAt: null, mode: null, modeChangedAt: null, step: null, epoch: null };
  const c = lastAtOrBefore(DATA.checkpoints.points, us);
  if (DATA.checkpoints.omitted > 0 && (DATA.checkpoints.points.length === 0 || us < DATA.checkpoints.points[0].us)) incomplete.push('lastCheckpointRestore');
  return { hyperparameters, training, lastCheckpointRestore: c ? { timestamp: c.timestamp, details: c.details } : null, incomplete };
}

function renderStatePanel(initial) {
  const span = DATA.summary.span;
  const input = h('input', { type: 'text', id: 'state-at', value: initial, 'aria-label': 'Moment (ISO 8601, UTC)', class: 'mono' });
  const slider = h('input', { type: 'range', id: 'state-slider', min: 0, max: 1000, step: 1, value: 1000, 'aria-label': 'Moment on the log\'s time span' });
  const out = h('div', { id: 'state-view' });
  const show = () => {
    const us = parseTime(input.value);
    out.replaceChildren();
    if (Number.isNaN(us)) {
      out.append(h('p', { class: 'error' }, 'Not a time: use ISO 8601 UTC, e.g. 2026-05-27T14:30:05Z.'));
      return;
    }
    const state = stateAt(us);
    const at = formatUs(us);
    const hp = Object.entries(state.hyperparameters);
    append(out, [
      h('p', {}, 'As ', h('code', {}, `auditrail state ${shellQuote(DATA.log)} --at ${at}`), ' gives it (hyperparameters, training, last checkpoint restore; for tags, discarded samples and the rest, run that command).'),
      state.incomplete.length > 0 ? h('p', { class: 'notice' }, `Older than the embedded points, not shown exactly: ${state.incomplete.join(', ')}. Run the command above.`) : null,
      h('div', { class: 'state-grid' },
        h('div', {}, h('h3', {}, 'Hyperparameters'), hp.length === 0 ? h('p', { class: 'muted' }, 'none set yet') :
          h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'name'), h('th', {}, 'value'), h('th', {}, 'previous'), h('th', {}, 'changed at'))),
            h('tbody', {}, hp.map(([name, v]) => h('tr', { 'data-parameter': name }, h('td', {}, name), h('td', { class: 'mono' }, json(v.value)), h('td', { class: 'mono' }, v.previous === undefined ? '' : json(v.previous)), h('td', { class: 'mono' }, v.changedAt)))))),
        h('div', {}, h('h3', {}, 'Training'), h('dl', {},
          h('dt', {}, 'status'), h('dd', {}, state.training.status), h('dt', {}, 'mode'), h('dd', {}, state.training.mode ?? '—'),
          h('dt', {}, 'step / epoch'), h('dd', {}, `${state.training.step ?? '—'} / ${state.training.epoch ?? '—'}`)),
          h('h3', {}, 'Last checkpoint restore'), h('p', { class: 'mono' }, state.lastCheckpointRestore ? `${state.lastCheckpointRestore.timestamp} ${json(state.lastCheckpointRestore.details)}` : 'none'))),
      h('details', {}, h('summary', {}, 'as JSON'), h('pre', { id: 'state-json' }, JSON.stringify({ hyperparameters: state.hyperparameters, training: state.training, lastCheckpointRestore: state.lastCheckpointRestore }, null, 2)))]);
  };
  input.addEventListener('change', show);
  slider.addEventListener('input', () => {
    if (!span) return;
    input.value = formatUs(Math.round(span.startUs + ((span.endUs - span.startUs) * Number(slider.value)) / 1000));
    show();
  });
  show();
  return h('div', {}, h('div', { class: 'toolbar', id: 'state-controls' }, h('label', { for: 'state-at' }, 'Moment'), input, slider), out);
}
