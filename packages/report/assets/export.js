// export.js: the filtered slice as JSON Lines or CSV (every text cell through sink-csv's formula guard), downloaded
// from a blob: URL made here, so no request leaves the page.
const CSV_COLUMNS = ['timestamp', 'action_type', 'status', 'details', 'error', 'actor', 'seq', 'hash'];

function csvCell(value) {
  if (value === undefined || value === null) return '';
  const text = guardFormula(typeof value === 'string' ? value : JSON.stringify(value));
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function sliceAsJsonLines(items) {
  return items.map((i) => `${JSON.stringify(i.event)}\n`).join('');
}

function sliceAsCsv(items) {
  const rows = [CSV_COLUMNS.join(',')];
  for (const { event } of items) {
    rows.push(CSV_COLUMNS.map((c) => (c === 'seq' && event.seq !== undefined ? String(event.seq) : csvCell(event[c]))).join(','));
  }
  return `${rows.join('\r\n')}\r\n`;
}

function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.download = name;
  a.href = url; // a blob: URL this page made, never a string from the log
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
