// details-diff.js: an event's details as a field-level before → after diff (changed fields only, lists as + / −),
// then its other fields, error, actor, seq and hash.

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function diffRows(before, after) {
  const rows = [];
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const b = before[key];
    const a = after[key];
    if (json(a) === json(b)) continue;
    if (Array.isArray(a) && Array.isArray(b)) {
      const had = new Set(b.map(json));
      const has = new Set(a.map(json));
      const changes = h('td', { colspan: 2 },
        a.filter((x) => !had.has(json(x))).map((x) => h('div', { class: 'added mono' }, `+ ${json(x)}`)),
        b.filter((x) => !has.has(json(x))).map((x) => h('div', { class: 'removed mono' }, `− ${json(x)}`)));
      rows.push(h('tr', { 'data-field': key }, h('th', {}, key), changes));
    } else {
      rows.push(h('tr', { 'data-field': key }, h('th', {}, key),
        h('td', { class: 'before mono' }, key in before ? json(b) : '(absent)'),
        h('td', { class: 'after mono' }, key in after ? `→ ${json(a)}` : '→ (absent)')));
    }
  }
  return rows;
}

function renderDetail(e) {
  const d = e.details || {};
  const parts = [];
  if (isObject(d.before) || isObject(d.after)) {
    const rows = diffRows(isObject(d.before) ? d.before : {}, isObject(d.after) ? d.after : {});
    parts.push(h('table', { class: 'diff' }, h('caption', { class: 'muted' }, rows.length === 0 ? 'before → after: nothing changed' : 'before → after (changed fields)'), rows));
  }
  const rest = Object.entries(d).filter(([k]) => !((k === 'before' && isObject(d.before)) || (k === 'after' && isObject(d.after))));
  const fields = [['timestamp', e.timestamp], ['action_type', e.action_type], ['status', e.status]];
  if (e.actor !== undefined) fields.push(['actor', e.actor]);
  if (e.seq !== undefined) fields.push(['seq', String(e.seq)]);
  if (e.hash !== undefined) fields.push(['hash', e.hash]);
  const dl = h('dl', {}, fields.map(([k, v]) => [h('dt', {}, k), h('dd', { class: 'mono' }, v)]));
  if (e.error != null) dl.append(h('dt', {}, 'error'), h('dd', { class: 'error mono' }, e.error));
  for (const [k, v] of rest) dl.append(h('dt', {}, `details.${k}`), h('dd', { class: 'mono' }, json(v)));
  return h('div', { class: 'detail' }, dl, parts);
}
