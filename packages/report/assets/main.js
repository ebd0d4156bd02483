// main.js: the page's layout and the wiring of filter, histogram, timeline, export, charts and state.
const app = document.getElementById('app');
const dense = denseBins(DATA.bins);
let filter = filterFromFragment(location.hash);
let timeline;

function integrityBanner() {
  const v = DATA.integrity;
  const chain = v.chain;
  if (!v.ok) {
    const bad = chain && chain.firstBadSeq !== undefined ? `first bad seq ${chain.firstBadSeq}` : `${v.errors} error${v.errors === 1 ? '' : 's'}`;
    return h('section', { class: 'integrity bad', id: 'integrity', role: 'alert', 'data-ok': 'false' },
      h('strong', {}, `✗ Verification FAILED: ${bad}`),
      'This log was changed after it was written, or is damaged. Do not trust events from the first bad one on.',
      h('ul', {}, v.findings.filter((f) => f.severity === 'error').slice(0, 20).map((f) => h('li', {}, `line ${f.line}${f.seq === undefined ? '' : ` (seq ${f.seq})`}: ${f.message}`))));
  }
  const head = chain && chain.head ? `hash chain verified: ${chain.chained} events, head ${chain.head.seq}:${chain.head.hash}` : 'well-formed; no hash chain (written without integrity)';
  return h('section', { class: 'integrity ok', id: 'integrity', 'data-ok': 'true' }, h('strong', {}, '✓ Verified'), head,
    v.warnings > 0 ? h('ul', {}, v.findings.filter((f) => f.severity === 'warning').slice(0, 5).map((f) => h('li', {}, f.message))) : null);
}

function summarySection() {
  const s = DATA.summary;
  const failed = s.byStatus.failed || 0;
  const cards = h('div', { class: 'cards' },
    h('div', { class: 'card' }, h('div', { class: 'n', 'data-count': 'total' }, String(s.total)), 'events'),
    h('div', { class: `card${failed > 0 ? ' failed' : ''}` }, h('div', { class: 'n', 'data-count': 'failed' }, String(failed)), 'failed'),
    h('div', { class: 'card' }, h('div', { class: 'n', 'data-count': 'success' }, String(s.byStatus.success || 0)), 'success'));
  const rows = Object.entries(s.byAction).sort((a, b) => b[1] - a[1]);
  const table = h('table', { id: 'by-action' }, h('thead', {}, h('tr', {}, h('th', {}, 'action type'), h('th', { class: 'num' }, 'events'), h('th', { class: 'num' }, 'failed'))),
    h('tbody', {}, rows.map(([a, n]) => h('tr', { 'data-action': a }, h('td', {}, a), h('td', { class: 'num', 'data-action-count': a }, String(n)), h('td', { class: 'num' }, String(s.failedByAction[a] || 0))))));
  const span = s.span ? h('p', { class: 'muted' }, `time span: ${s.span.start} → ${s.span.end}`) : null;
  const omitted = DATA.omitted.events > 0 && DATA.events.length > 0
    ? h('p', { class: 'notice', id: 'omitted' }, `This page embeds ${DATA.events.length} of ${s.total} events: the state-changing and failed ones${DATA.omitted.important > 0 ? ` (the newest; ${DATA.omitted.important} older ones left out)` : ''} and the newest. ${DATA.omitted.events} events are not embedded; counts and the histogram cover all. To list them: `, h('code', {}, `auditrail query ${shellQuote(DATA.log)} --until ${DATA.events[0].event.timestamp}`))
    : null;
  return [cards, span, omitted, h('details', {}, h('summary', {}, 'By action type'), table)];
}

function checkboxes(name, values, chosen) {
  return h('div', { class: 'checks' }, values.map((v) => h('label', {}, h('input', { type: 'checkbox', name, value: v, checked: chosen.includes(v) }), ` ${v}`)));
}

function filterForm() {
  const actions = Object.keys(DATA.summary.byAction);
  const actors = Object.keys(DATA.actors);
  const status = h('select', { id: 'f-status', name: 'status' }, ['', 'success', 'failed'].map((v) => h('option', { value: v }, v === '' ? 'any' : v)));
  status.value = filter.status;
  const actorSelect = h('select', { id: 'f-actor', multiple: true, 'aria-label': 'Actors' }, actors.map((a) => {
    const o = h('option', { value: a }, a);
    o.selected = filter.actors.includes(a);
    return o;
  }));
  const text = (id, value, label, placeholder) => h('div', {}, h('label', { class: 'title', for: id }, label), h('input', { type: id === 'f-q' ? 'search' : 'text', id, value, placeholder }));
  const form = h('form', { class: 'filters', id: 'filters', role: 'search' },
    h('fieldset', {}, h('legend', {}, 'Action types'), checkboxes('action', actions, filter.actions)),
    h('div', {}, h('label', { class: 'title', for: 'f-status' }, 'Status'), status,
      h('label', { class: 'title', for: 'f-actor' }, 'Actors'), actors.length > 0 ? actorSelect : h('p', { class: 'muted' }, 'no actor recorded')),
    h('div', {}, text('f-since', filter.since, 'Since (ISO 8601)', '2026-05-27T14:00:00Z'), text('f-until', filter.until, 'Until (ISO 8601)', ''),
      text('f-q', filter.q, 'Text in details or error', 'e.g. learning_rate')),
    h('div', {}, h('button', { type: 'button', id: 'f-clear' }, 'Clear filters')));
  const read = () => ({
    actions: [...form.querySelectorAll('input[name=action]:checked')].map((i) => i.value),
    actors: actors.length > 0 ? [...actorSelect.selectedOptions].map((o) => o.value) : [],
    status: status.value,
    since: form.querySelector('#f-since').value.trim(),
    until: form.querySelector('#f-until').value.trim(),
    q: form.querySelector('#f-q').value,
  });
  form.addEventListener('change', () => setFilter(read(), true));
  form.addEventListener('submit', (e) => { e.preventDefault(); setFilter(read(), true); });
  form.querySelector('#f-q').addEventListener('input', () => setFilter(read(), true));
  form.querySelector('#f-clear').addEventListener('click', () => setFilter(emptyFilter()));
  return form;
}

function filtered() {
  const matches = compileFilter(filter);
  return DATA.events.filter(matches);
}

function timelineSection() {
  const items = filtered();
  timeline = createTimeline(items);
  const newestFirst = () => items.slice().reverse();
  const prev = h('button', { type: 'button', id: 'prev-failure', title: 'Newer failure (k)' }, '↑ Previous failure');
  const next = h('button', { type: 'button', id: 'next-failure', title: 'Older failure (j)' }, '↓ Next failure');
  prev.addEventListener('click', () => timeline.jump(-1));
  next.addEventListener('click', () => timeline.jump(1));
  const jsonl = h('button', { type: 'button', id: 'export-jsonl' }, 'Export JSON lines');
  const csv = h('button', { type: 'button', id: 'export-csv' }, 'Export CSV');
  jsonl.addEventListener('click', () => download('auditrail-slice.jsonl', 'application/x-ndjson', sliceAsJsonLines(newestFirst())));
  csv.addEventListener('click', () => download('auditrail-slice.csv', 'text/csv', sliceAsCsv(newestFirst())));
  return h('section', { id: 'timeline-section' },
    h('div', { class: 'toolbar' }, h('strong', { id: 'match-count', 'data-count': items.length }, `${items.length} matching event${items.length === 1 ? '' : 's'}`),
      h('span', { class: 'muted' }, `(${timeline.failures} failed)`), prev, next, jsonl, csv),
    h('p', {}, 'Same slice of the whole log: ', h('code', { class: 'command', id: 'query-command' }, queryCommand(filter))),
    timeline.element);
}

let histogramHolder;
let timelineHolder;
function setFilter(next, keepFocus) {
  filter = next;
  const fragment = filterToFragment(filter);
  history.replaceState(null, '', fragment === '' ? location.pathname + location.search : fragment);
  render(keepFocus);
}

function render(partial) {
  histogramHolder.replaceChildren(renderHistogram(dense, filter, (range) => setFilter({ ...filter, ...range }, false)));
  timelineHolder.replaceChildren(timelineSection());
  if (!partial) {
    const form = document.getElementById('filters');
    form.replaceWith(filterForm());
  }
}

function build() {
  histogramHolder = h('div', { id: 'histogram' });
  timelineHolder = h('div', {});
  const live = startLive((events) => {
    for (const item of events) {
      const n = DATA.summary.total++;
      DATA.events.push({ n, us: item.us, event: item.event });
      const e = item.event;
      DATA.summary.byAction[e.action_type] = (DATA.summary.byAction[e.action_type] || 0) + 1;
      DATA.summary.byStatus[e.status] = (DATA.summary.byStatus[e.status] || 0) + 1;
      addToBins(dense, item.us, e.action_type, e.status === 'failed');
    }
    const summary = document.getElementById('summary');
    summary.replaceChildren(h('h2', {}, 'Summary'), ...summarySection());
    render(true);
  });
  app.replaceChildren(
    h('header', {}, h('h1', {}, DATA.title), h('p', { class: 'meta' }, `${DATA.log} (${DATA.format}) · report made ${DATA.generatedAt} · `, live)),
    integrityBanner(),
    h('section', { id: 'summary' }, h('h2', {}, 'Summary'), ...summarySection()),
    h('section', {}, h('h2', {}, 'Events over time'), histogramHolder),
    h('section', {}, h('h2', {}, 'Filter'), h('div', { id: 'filters' })),
    h('section', {}, h('h2', {}, 'Timeline, newest first'), timelineHolder),
    h('section', { id: 'hyperparameters' }, h('h2', {}, 'Hyperparameters and training over time'), ...renderStateCharts()),
    h('section', { id: 'state' }, h('h2', {}, 'State at a moment'), renderStatePanel(DATA.summary.span ? DATA.summary.span.end : formatUs(Date.now() * 1000))));
  render(false);
  window.addEventListener('hashchange', () => { filter = filterFromFragment(location.hash); render(false); });
  document.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === 'j') timeline.jump(1);
    if (e.key === 'k') timeline.jump(-1);
  });
  document.documentElement.dataset.ready = 'true';
}

build();
